"""Fixtures for the integration tests: a log directory and a running server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import Server


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "logs"
    directory.mkdir()
    return directory


@pytest.fixture
def server(log_dir: Path, tmp_path: Path) -> Iterator[Server]:
    running = Server(log_dir, tmp_path / "state", LOG_VIEWER_BACKLOG_LINES="10000").start()
    yield running
    running.stop()
