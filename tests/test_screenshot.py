"""The READMEs' screenshot shows today's viewer: made by scripts/screenshot.py from the current page files."""

from __future__ import annotations

import sys

from helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from screenshot import BAKED_PICTURE, PICTURE, SOURCES, viewer_digest


def test_the_screenshot_was_made_from_the_viewer_as_it_is():
    assert SOURCES.read_text().strip() == viewer_digest(), (
        "the viewer's templates or static files changed since the screenshot: run python3 scripts/screenshot.py"
    )


def test_both_readmes_show_the_same_screenshot():
    assert PICTURE.read_bytes() == BAKED_PICTURE.read_bytes()
    for readme in (ROOT / "README.md", ROOT / "{{cookiecutter.project_slug}}" / "README.md"):
        assert "](docs/viewer.png)" in readme.read_text(), readme
