"""Heartbeats through real gunicorn: written by the worker's clock between events, framed as gunicorn frames."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import AUTH, PREFIX, append_lines, authorization
from servers import Server

pytestmark = pytest.mark.integration

KEEPALIVE = b": keepalive\n\n"


@pytest.fixture(scope="module")
def beating(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with a 1 s heartbeat."""
    root = tmp_path_factory.mktemp("beating")
    (root / "logs").mkdir()
    with Server(root / "logs", root / "state", workers=2, LOG_VIEWER_HEARTBEAT_SECONDS="1") as running:
        yield running.start()


def until(read, done) -> bytes:
    """What ``read()`` gives until ``done(everything so far)``; a silence of the socket's whole timeout (five
    heartbeats) fails the test. How long each silence lasts is the bench's figure (``--scenario idle``)."""
    got = b""
    while not done(got):
        data = read()
        assert data, f"the stream ended after {got[-300:]!r}"
        got += data
    return got


def beats(count: int):
    return lambda got: got.count(KEEPALIVE) >= count


def test_an_idle_stream_beats_in_valid_chunks_and_lines_follow(beating):
    log = beating.log_dir / "idle.log"
    append_lines(log, ["first"])
    connection = http.client.HTTPConnection(*beating.address, timeout=5)
    headers = {"Accept": "text/event-stream"} | authorization(AUTH)
    connection.request("GET", f"{PREFIX}/stream/idle.log", headers=headers)
    response = connection.getresponse()
    assert response.status == 200 and response.headers["Transfer-Encoding"] == "chunked"
    try:
        until(lambda: response.read1(65536), beats(4))  # http.client undoes the chunks: one bad, it raises
        append_lines(log, ["after the beats"])
        until(lambda: response.read1(65536), lambda got: b">after the beats</div>" in got)
    finally:
        connection.close()


def test_an_http_1_0_stream_gets_them_unframed(beating):
    append_lines(beating.log_dir / "old.log", ["first"])
    with socket.create_connection(beating.address, timeout=5) as sock:
        credentials = authorization(AUTH)["Authorization"]
        sock.sendall(f"GET {PREFIX}/stream/old.log HTTP/1.0\r\nAuthorization: {credentials}\r\n\r\n".encode())
        got = until(lambda: sock.recv(65536), beats(2))
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200") or head.startswith(b"HTTP/1.1 200")
    assert b"Transfer-Encoding" not in head
    assert body.count(KEEPALIVE) >= 2 and b"\r\n" not in body  # no chunk framing in it


def test_the_shared_connection_beats_too(beating, tmp_path: Path):
    append_lines(beating.log_dir / "shared.log", ["first"])
    connection = http.client.HTTPConnection(*beating.address, timeout=5)
    connection.request("GET", f"{PREFIX}/streams?s=:shared.log&c=", headers=authorization(AUTH))
    response = connection.getresponse()
    try:
        until(lambda: response.read1(65536), beats(3))
    finally:
        connection.close()
