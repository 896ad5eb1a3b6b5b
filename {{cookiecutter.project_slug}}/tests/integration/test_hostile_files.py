"""Files that try to hurt the worker: each leaves it healthy, its memory bounded, the log directory untouched."""

from __future__ import annotations

import os
import random
import re
import signal
import time
from pathlib import Path

import pytest
from eventsource import EventSource
from helpers import AUTH, PREFIX, fetch
from servers import Server, bound_by_permissions

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


def test_a_fifo_taking_the_followed_name_freezes_nobody(log_dir, tmp_path):
    """mv app.log app.log.1; mkfifo app.log: open() would wait for a writer and stop the worker's hub."""
    (log_dir / "app.log").write_text("one\n")
    (log_dir / "other.log").write_text("other\n")
    with Server(log_dir, tmp_path / "state", workers=1).start() as server:
        source = open_stream(server, "app.log")
        names = []
        with source:
            assert source.read_lines(1) == ["one"]
            (log_dir / "app.log").rename(log_dir / "app.log.1")
            os.mkfifo(log_dir / "app.log")
            names = [event.name for event in source.events(within=20)]  # until the server ends the stream
        assert names[-1] == "refused"
        still_serves(server)  # the same (only) worker answers at once
        answer = EventSource(server.address, f"{PREFIX}/stream/app.log", AUTH)
        assert answer.status == 403
        answer.close()


def test_offset_files_of_killed_workers_are_swept(fresh_server):
    server = fresh_server
    state = Path(server.env["LOG_VIEWER_STATE_DIRECTORY"])
    (server.log_dir / "app.log").write_text("x\n")
    with open_stream(server, "app.log") as source:
        assert source.read_lines(1) == ["x"]
        (worker,) = server.pids_holding(server.log_dir / "app.log")
        left = [name for name in os.listdir(state) if name.startswith(f"stream-{worker}-")]
        assert len(left) == 1
        os.kill(worker, signal.SIGKILL)  # no chance to remove its offset file
    deadline = time.monotonic() + 30
    while worker in server.worker_pids() or server.ready_workers() < 4:
        assert time.monotonic() < deadline, "no replacement worker"
        time.sleep(0.1)
    assert not (state / left[0]).exists()  # the replacement swept it as it started


def test_an_unreadable_file_is_refused_with_a_sentence_and_marked_in_the_index(log_dir, tmp_path):
    """Case 9: a file the service may not read answered 500 with a traceback."""
    secret = log_dir / "secret.log"
    secret.write_text("not for the viewer\n")
    secret.chmod(0)
    (log_dir / "app.log").write_text("fine\n")
    with Server(log_dir, tmp_path / "state", workers=1, wrapper=bound_by_permissions()).start() as server:
        for route in ("stream", "download", "lines", "search", "view"):
            answer = fetch(server.address, f"{PREFIX}/{route}/secret.log?q=x")
            assert answer.status == 403, (route, answer.status)
            assert b"not allowed to read this file" in answer.body and b"Traceback" not in answer.body
        answer = fetch(server.address, f"{PREFIX}/")
        assert answer.status == 200
        index = answer.body
        row = re.search(rb'<tr class="unreadable"[^>]*>\s*<td><span class="view">secret.log</span>', index)
        assert row, index.decode()
        assert b'href="' + PREFIX.encode() + b'/view/app.log"' in index
        assert b"/view/secret.log" not in index
        still_serves(server)
