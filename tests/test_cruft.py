"""A project made with cruft takes template changes with `cruft update`: merged with a user's edits to other
lines (a viewer.html customised as the generated README shows), a conflict with edits to the same lines."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

CRUFT = Path(sys.executable).parent / "cruft"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}
PACKAGE = "log_viewer"
TEMPLATE_PACKAGE = "{{cookiecutter.project_slug}}/{{cookiecutter.project_slug}}"


def run(*command: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=os.environ | GIT_ENV, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return done.stdout


def commit_all(repository: Path, message: str) -> None:
    run("git", "add", "-A", cwd=repository)
    run("git", "commit", "-q", "-m", message, cwd=repository)


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A git copy of this template's tracked files (cruft follows a template by its git history)."""
    copy = tmp_path / "template"
    for name in run("git", "ls-files", cwd=ROOT).splitlines():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
    run("git", "init", "-q", cwd=copy)
    commit_all(copy, "template")
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.slow
def test_cruft_update_applies_template_changes_and_keeps_user_edits_as_conflicts(template, tmp_path):
    projects = tmp_path / "projects"
    projects.mkdir()
    run(
        CRUFT,
        "create",
        template,
        "--no-input",
        "--output-dir",
        projects,
        "--extra-context",
        '{"auth": "none"}',
        cwd=tmp_path,
    )
    project = projects / "log_viewer"
    run("git", "init", "-q", cwd=project)
    commit_all(project, "generated")
    edit(project / PACKAGE / "static/viewer.css", "color-scheme: light dark;", "color-scheme: dark;")  # the user's
    page = project / PACKAGE / "templates/log_viewer/viewer.html"
    search_form = re.search(r'\n *<form id="search".*?</form>', page.read_text(), re.DOTALL).group(0)
    edit(page, search_form, "")  # the README's "remove a feature"
    commit_all(project, "dark only, no search")

    edit(
        template / TEMPLATE_PACKAGE / "templates/log_viewer/viewer.html", "{% block head %}", "{% block head %}{# v2 #}"
    )
    edit(template / TEMPLATE_PACKAGE / "static/viewer.css", "color-scheme: light dark;", "color-scheme: light;")
    commit_all(template, "template v2")

    run(CRUFT, "update", "--skip-apply-ask", "--allow-untracked-files", cwd=project)
    customised = page.read_text()
    assert "{# v2 #}" in customised and 'id="search"' not in customised, "the change and the user's edit, merged"
    assert "<<<<<<<" not in customised and not page.with_suffix(".html.rej").exists()
    css = project / PACKAGE / "static/viewer.css"
    conflicted = "<<<<<<<" in css.read_text() or css.with_suffix(".css.rej").exists()
    assert conflicted, "the user's edit and the template's change to viewer.css should meet as a conflict"
