"""Fixtures for the integration tests: one gunicorn per module, and a fresh one where a test needs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import Server, emptied

ENV = {"LOG_VIEWER_BACKLOG_LINES": "10000"}


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("server")
    (root / "logs").mkdir()
    running = Server(root / "logs", root / "state", **ENV).start()
    yield running
    running.stop()


@pytest.fixture
def server(shared_server: Server) -> Server:
    """The module's server, its log directory emptied: tests never see each other's files."""
    emptied(shared_server.log_dir)
    return shared_server


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[Server]:
    """A server of this test's own, for a test that stops it."""
    (tmp_path / "logs").mkdir()
    running = Server(tmp_path / "logs", tmp_path / "state", **ENV).start()
    yield running
    running.stop()


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "logs"
    directory.mkdir()
    return directory
