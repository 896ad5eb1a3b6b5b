"""Files that try to hurt the worker: each leaves it healthy, its memory bounded, the log directory untouched."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from eventsource import EventSource
from helpers import AUTH, PREFIX
from servers import Server

pytestmark = pytest.mark.integration

MAX_GROWTH_KIB = 64 * 1024


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def open_stream(server: Server, name: str) -> EventSource:
    source = EventSource(server.address, f"{PREFIX}/stream/{name}", AUTH)
    assert source.status == 200
    return source


def still_serves(server: Server) -> None:
    (server.log_dir / "healthy.log").write_text("fine\n")
    probe = open_stream(server, "healthy.log")
    assert probe.read_lines(1) == ["fine"]
    probe.close()


@pytest.fixture
def check_worker(server):
    """Yields a function to call with the serving worker; afterwards checks health and the log directory."""
    before = set(os.listdir(server.log_dir))
    watched: dict[str, int] = {}

    def watch(path: Path) -> None:
        (pid,) = server.pids_holding(path)
        watched["pid"], watched["rss"] = pid, rss_kib(pid)

    yield watch
    if "pid" in watched:
        growth = rss_kib(watched["pid"]) - watched["rss"]
        print(f"worker memory growth: {growth} KiB")
        assert growth < MAX_GROWTH_KIB
    still_serves(server)
    created = set(os.listdir(server.log_dir)) - before - {"healthy.log", "hostile.log"}
    assert created == set(), f"files appeared in the log directory: {created}"


def test_ten_megabyte_line_without_newline(server, check_worker):
    log = server.log_dir / "hostile.log"
    log.write_text("before\n")
    source = open_stream(server, "hostile.log")
    assert source.read_lines(1) == ["before"]
    check_worker(log)
    with open(log, "ab") as fh:
        fh.write(b"x" * 10_000_000)
    (cut,) = source.read_lines(1)
    assert cut.startswith("x" * 1000) and "line cut at 65536 characters" in cut and len(cut) < 70_000
    with open(log, "ab") as fh:
        fh.write(b"\nafter\n")
    assert source.read_lines(1) == ["after"]
    source.close()


def test_binary_file(server, check_worker):
    log = server.log_dir / "hostile.log"
    log.write_bytes(b"")
    source = open_stream(server, "hostile.log")
    check_worker(log)
    with open(log, "ab") as fh:
        # Seeded noise opening with an OSC escape that nothing terminates (no BEL, no ESC
        # after it): it once hid the rest of the line, cut marker included.
        noise = random.Random(1).randbytes(5_000_000)
        for byte in (b"\n", b"\x07", b"\x1b"):
            noise = noise.replace(byte, b"?")
        noise = b"\x1b]" + noise
        fh.write(noise + b"\nEND\n")
    lines = []
    while "END" not in lines:
        lines += source.read_lines(1)
    assert len(lines) == 2 and "line cut" in lines[0]  # one huge "line" of noise, cut; then END
    source.close()


def test_one_gigabyte_file(server, check_worker):
    log = server.log_dir / "hostile.log"
    with open(log, "wb") as fh:
        fh.truncate(1_000_000_000)  # sparse: a gigabyte without the disk cost
        fh.seek(0, os.SEEK_END)
        fh.write(b"\n" + b"".join(b"tail %d\n" % i for i in range(200)))
    source = open_stream(server, "hostile.log")
    # The fixture's backlog (10,000 lines) takes all 200; the gigabyte of NULs lies
    # beyond the 8 MiB that a backlog reads backwards, so it is never sent.
    assert source.read_lines(200) == [f"tail {i}" for i in range(200)]
    check_worker(log)
    with open(log, "ab") as fh:
        fh.write(b"more\n")
    assert source.read_lines(1) == ["more"]
    source.close()


def test_file_deleted_while_streamed(server, check_worker):
    log = server.log_dir / "hostile.log"
    log.write_text("one\n")
    source = open_stream(server, "hostile.log")
    assert source.read_lines(1) == ["one"]
    check_worker(log)
    log.unlink()
    assert next(source.events()).name == "missing"
    source.close()
    log.write_text("back\n")  # left for the fixture's listing, as the test made it


def test_credentials_never_reach_the_logs(fresh_server):
    server = fresh_server
    (server.log_dir / "main.log").write_text("x\n")
    source = open_stream(server, "main.log")
    source.read_lines(1)
    source.close()
    server.stop()
    assert AUTH[1] not in server.output.read_text()
