#!/usr/bin/env python3
"""Make the READMEs' screenshot from today's viewer: docs/viewer.png, in the template and in what it bakes.

Bakes the defaults, runs the generated project's screenshot test (real gunicorn, real Chromium) with
VIEWER_SCREENSHOT_PATH set, and records in docs/viewer.png.sha256 which viewer files it was made from;
tests/test_screenshot.py fails when they have changed since.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _venv import ROOT, venv_python

PICTURE = ROOT / "docs" / "viewer.png"
BAKED_PICTURE = ROOT / "{{cookiecutter.project_slug}}" / "docs" / "viewer.png"
SOURCES = ROOT / "docs" / "viewer.png.sha256"
PACKAGE = ROOT / "{{cookiecutter.project_slug}}" / "{{cookiecutter.project_slug}}"


def viewer_digest() -> str:
    """One hash of every file the page is made of: its templates and static files."""
    digest = hashlib.sha256()
    for path in sorted([*PACKAGE.glob("templates/**/*"), *PACKAGE.glob("static/**/*")]):
        if path.is_file():
            digest.update(f"{path.relative_to(PACKAGE)}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def main() -> None:
    python = venv_python()
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([python, "-m", "cookiecutter", "--no-input", "-o", work, str(ROOT)], check=True)
        (project,) = Path(work).iterdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOG_VIEWER_")}
        env["VIEWER_SCREENSHOT_PATH"] = str(PICTURE)
        test = "tests/browser/test_viewer_page.py::test_screenshot_of_the_demo_logger_output"
        subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", test], cwd=project, env=env, check=True)
    BAKED_PICTURE.parent.mkdir(exist_ok=True)
    shutil.copyfile(PICTURE, BAKED_PICTURE)
    SOURCES.write_text(viewer_digest() + "\n")
    print(f"wrote {PICTURE.relative_to(ROOT)} and {BAKED_PICTURE.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
