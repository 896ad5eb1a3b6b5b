"""Shared helpers for the template tests; in CI (CI set) a skipped test fails the run."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IN_CI = bool(os.environ.get("CI"))


def require_tool(name: str, install: str) -> str:
    """The path of a program; skip without it, but fail in CI, where nothing may be skipped."""
    path = shutil.which(name)
    if path:
        return path
    if IN_CI:
        pytest.fail(f"{name} is missing in CI: {install}")
    pytest.skip(f"{name} is not installed ({install})")


def unrendered(project: Path) -> list[str]:
    """Files that still hold a cookiecutter variable or tag after rendering."""
    pattern = re.compile(r"{{\s*cookiecutter\.|{%-?\s*(if|for|raw)\b[^%]*cookiecutter")
    found = []
    for path in project.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            if pattern.search(text) or "cookiecutter.project_slug" in path.name:
                found.append(str(path.relative_to(project)))
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and exitstatus == 0:
        print(f"\nCI: {len(skipped)} test(s) skipped; in CI every test must run.")
        session.exitstatus = 1
