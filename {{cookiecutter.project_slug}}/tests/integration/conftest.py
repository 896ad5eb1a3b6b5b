"""Fixtures for the integration tests: one gunicorn per module, and a fresh one where a test needs it."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import PROJECT_ROOT, free_port, require_tool
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


@pytest.fixture
def nginx(server, tmp_path: Path):
    """nginx with nginx/log-viewer.conf, its ports pointed at this test's gunicorn."""
    binary = require_tool("nginx")
    port = free_port()
    block = (PROJECT_ROOT / "nginx" / "log-viewer.conf").read_text()
    block = block.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    block = block.replace("server 127.0.0.1:{{ cookiecutter.port }};", f"server 127.0.0.1:{server.port};")
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    (prefix / "log-viewer.conf").write_text(block)
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = " ".join(f"{kind}_temp_path {prefix / kind};" for kind in kinds)
    (prefix / "nginx.conf").write_text(
        f"daemon off; worker_processes 1; pid {prefix / 'nginx.pid'}; error_log {prefix / 'error.log'} warn;\n"
        + "events { worker_connections 1024; }\n"
        + "http { access_log off; "
        + temp
        + f" include {prefix / 'log-viewer.conf'}; "
        + "}\n"
    )
    process = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 10
    while not (prefix / "nginx.pid").exists():
        assert process.poll() is None, process.communicate()[0].decode()
        assert time.monotonic() < deadline, "nginx did not start"
        time.sleep(0.05)
    yield ("127.0.0.1", port)
    process.terminate()
    process.wait(10)
