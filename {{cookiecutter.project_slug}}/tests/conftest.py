"""Fixtures: a log directory, the app built on it, and a test client."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.project_slug }} import create_app


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    """A log directory with one top-level log and one in the ``app`` subdirectory."""
    directory = tmp_path / "logs"
    (directory / "app").mkdir(parents=True)
    (directory / "main.log").write_text("first\nsecond\n")
    (directory / "app" / "api.log").write_text("api one\n")
    return directory


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def app(log_dir: Path, state_dir: Path):
    return create_app(
        {
            "log_directory": log_dir,
            "allowed_subdirectories": ("app",),
            "auth": "none",
            "state_directory": state_dir,
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()
