"""Clients that stop reading or leave: bounded memory, prompt drops, slots freed at once."""

from __future__ import annotations

import base64
import fcntl
import socket
import struct
import termios
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from eventsource import EventSource
from helpers import AUTH, PREFIX
from servers import Server

pytestmark = pytest.mark.integration

CREDENTIALS = base64.b64encode(":".join(AUTH).encode()).decode()


def raw_stream(server: Server, name: str, receive_buffer: int | None = None) -> socket.socket:
    """A stream request on a bare socket that reads nothing (a phone gone to sleep)."""
    sock = socket.socket()
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(server.address)
    sock.sendall(
        f"GET {PREFIX}/stream/{name} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
        f"Authorization: Basic {CREDENTIALS}\r\n\r\n".encode()
    )
    return sock


def status(sock: socket.socket, timeout: float = 10.0) -> int:
    """The status code, reading until the stream's first bytes (its retry field) arrived."""
    sock.settimeout(timeout)
    head = b""
    while b"retry:" not in head and not (head.startswith(b"HTTP/1.1 5") and b"\r\n\r\n" in head):
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return int(head.split(b" ", 2)[1])


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """Drain what the server sent; True when it then closed the connection within ``within`` s."""
    deadline = time.monotonic() + within
    sock.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            if not sock.recv(1 << 20):
                return True
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True
    return False


def rss_kib(pid: int) -> int:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0])


def queued(sock: socket.socket) -> int:
    """The bytes the server sent that ``sock`` holds unread."""
    return struct.unpack("i", fcntl.ioctl(sock, termios.FIONREAD, b"\0\0\0\0"))[0]


def wait_for(happened, what: str, within: float = 30) -> None:
    """Until ``happened()``; fails, saying ``what`` was awaited, after ``within`` s."""
    deadline = time.monotonic() + within
    while not happened():
        assert time.monotonic() < deadline, f"not within {within} s: {what}"
        time.sleep(0.02)


def released(server: Server, log: Path, within: float = 10) -> None:
    """Until no worker holds ``log`` open: every stream of it has ended, and its slot is free."""
    deadline = time.monotonic() + within
    while server.pids_holding(log):
        assert time.monotonic() < deadline, f"streams of {log.name} still held after {within} s"
        time.sleep(0.02)


@pytest.fixture
def one_worker(log_dir: Path, tmp_path: Path):
    with Server(
        log_dir, tmp_path / "state", workers=1, LOG_VIEWER_STALL_SECONDS="3", LOG_VIEWER_MAX_STREAMS="150"
    ).start() as server:
        yield server


def test_stalled_readers_hold_bounded_memory_and_are_dropped(one_worker):
    server, stalled_count = one_worker, 60
    hot, calm = server.log_dir / "hot.log", server.log_dir / "calm.log"
    hot.write_text("start\n")
    calm.write_text("calm 0\n")
    (worker,) = server.worker_pids()
    with ExitStack() as stack:
        stalled = [
            stack.enter_context(raw_stream(server, "hot.log", receive_buffer=4096)) for _ in range(stalled_count)
        ]
        viewer = stack.enter_context(EventSource(server.address, f"{PREFIX}/stream/calm.log", AUTH))
        assert viewer.read_lines(1) == ["calm 0"]
        assert all(status(sock) == 200 for sock in stalled)  # each stream has started (its head and retry: read)
        before = rss_kib(worker)
        with open(hot, "a") as fh:  # 32 MB that no stalled client takes
            for block in range(320):
                fh.write("".join(f"burst {block} {i} {'.' * 60}\n" for i in range(1250)))
        with open(calm, "a") as fh:
            fh.write("calm 1\n")
        assert viewer.read_lines(1) == ["calm 1"]  # nobody waits on another viewer's socket
        # Each stalled stream has begun to send the burst (its socket holds more than a head and a backlog):
        # blocked on its socket, it holds its event.
        wait_for(lambda: all(queued(sock) >= 2048 for sock in stalled), "every stalled stream sending the burst")
        growth = rss_kib(worker) - before
        print(f"{stalled_count} stalled readers of a 32 MB burst: worker grew {growth} KiB")
        assert growth / stalled_count < 1024, f"{growth / stalled_count:.0f} KiB per stalled stream"
        released(server, hot)  # not one event taken for 3 s: each stalled stream is dropped, its slot free again
        assert all(closed_by_server(sock, within=10) for sock in stalled)
        assert all(status(stack.enter_context(raw_stream(server, "calm.log"))) == 200 for _ in range(140))


@pytest.mark.parametrize("how", ["fin", "rst"])
def test_dropped_streams_free_their_slots_at_once(one_worker, how):
    """The cap is 150 per worker: three rounds of 150 streams, each dropped before the next."""
    (one_worker.log_dir / "app.log").write_text("line\n")
    for _ in range(3):
        streams = [raw_stream(one_worker, "app.log") for _ in range(150)]
        assert [status(sock) for sock in streams] == [200] * 150
        for sock in streams:
            if how == "rst":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        released(one_worker, one_worker.log_dir / "app.log")
