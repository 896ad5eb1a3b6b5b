"""The tests' helpers and constants, in one place (tests import this module, never conftest)."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from {{ cookiecutter.project_slug }}.config import BAKED, Settings
from {{ cookiecutter.project_slug }}.cursor import Cursor
from {{ cookiecutter.project_slug }}.tailer import Tailer

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PREFIX = BAKED["url_prefix"]
AUTH = ("admin", "integration-secret")


def require_tool(name: str) -> str:
    """The path of a program; skip without it, but fail in CI, where nothing may be skipped."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (apt-get install {name})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI installs it in .ci/run")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_tailer(log: Path, state: Path, cursor: Cursor | None = None, **values: object) -> Tailer:
    """A ``Tailer`` with the declared defaults and ``values`` (``backlog_lines``, ``batch_bytes``, ``guard``...)."""
    defaults = Settings()
    declared = {name: getattr(defaults, name) for name in ("backlog_lines", "max_line_length", "batch_bytes")}
    # Tests not about draining a renamed file move on at once (the declared wait is 1 s).
    values = declared | {"rotate_wait": 0.0, "guard": lambda path: True} | values
    return Tailer(log, state, cursor, **values)
