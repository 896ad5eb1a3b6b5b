"""Streams through real gunicorn with 4 gevent workers."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest
from eventsource import EventSource
from helpers import AUTH, PREFIX, append_lines
from servers import Server

pytestmark = pytest.mark.integration


def write_lines(path: Path, start: int, stop: int, pause_every: int = 50, pause: float = 0.005) -> None:
    with open(path, "a", buffering=1) as fh:
        for i in range(start, stop):
            fh.write(f"line {i} <b>&amp;</b>\n")
            if i % pause_every == 0:
                time.sleep(pause)


def expected(start: int, stop: int) -> list[str]:
    return [f"line {i} <b>&amp;</b>" for i in range(start, stop)]


def viewer(server: Server, name: str, count: int, **kwargs) -> list[str]:
    source = EventSource(server.address, f"{PREFIX}/stream/{name}", AUTH, **kwargs)
    try:
        assert source.status == 200
        return source.read_lines(count)
    finally:
        source.close()


def test_fifty_staggered_viewers_each_get_every_line_once_in_order(server):
    log = server.log_dir / "app.log"
    log.touch()
    writer = threading.Thread(target=write_lines, args=(log, 0, 2000))

    def staggered(n: int) -> list[str]:
        time.sleep(n * 0.02)
        return viewer(server, "app.log", 2000)

    with ThreadPoolExecutor(50) as pool:
        results = [pool.submit(staggered, n) for n in range(50)]
        writer.start()
        received = [future.result(timeout=60) for future in results]
    writer.join()
    for lines in received:
        assert lines == expected(0, 2000)


def test_resume_with_a_cursor_gets_exactly_the_rest(server):
    log = server.log_dir / "app.log"
    write_lines(log, 0, 300)
    source = EventSource(server.address, f"{PREFIX}/stream/app.log", AUTH)
    assert source.read_lines(300) == expected(0, 300)
    source.close()
    write_lines(log, 300, 700)
    for _ in range(4):  # whichever worker answers
        resumed = EventSource(server.address, f"{PREFIX}/stream/app.log", AUTH, last_event_id=source.last_event_id)
        assert resumed.read_lines(400) == expected(300, 700)
        resumed.close()


def test_a_burst_of_events_larger_than_a_send_arrives_whole(server):
    """Half a megabyte at once: events of ``batch_bytes`` of log, each written in pieces, every line once."""
    log = server.log_dir / "app.log"
    append_lines(log, ["first"])
    source = EventSource(server.address, f"{PREFIX}/stream/app.log", AUTH)
    assert source.read_lines(1) == ["first"]
    burst = [f"burst {i} <{'x' * 100}> & done" for i in range(5000)]
    append_lines(log, burst)
    assert source.read_lines(5000) == burst
    source.close()


def test_rotation_while_streaming_loses_nothing(server):
    log = server.log_dir / "app.log"
    handler = RotatingFileHandler(log, maxBytes=20_000, backupCount=20)
    logger = logging.getLogger("integration.rotation")
    logger.propagate, logger.handlers[:] = False, [handler]
    logger.warning("first")
    source = EventSource(server.address, f"{PREFIX}/stream/app.log", AUTH)

    def write() -> None:
        for i in range(3000):
            logger.warning("message %d %s", i, "." * 100)
            if i % 100 == 0:
                time.sleep(0.01)

    writer = threading.Thread(target=write)
    writer.start()
    lines = source.read_lines(3001)
    writer.join()
    handler.close()
    source.close()
    assert lines == ["first"] + [f"message {i} {'.' * 100}" for i in range(3000)]
    assert len(list(server.log_dir.glob("app.log.*"))) > 3  # it really rotated


def test_a_stream_held_back_through_three_rotations_reads_every_file(server):
    """The worker is stopped (load, a GC pause, a slow socket) while the log rotates three times."""
    log = server.log_dir / "app.log"
    handler = RotatingFileHandler(log, backupCount=5)
    logger = logging.getLogger("integration.storm")
    logger.propagate, logger.handlers[:] = False, [handler]
    batches = {letter: [f"{letter}{i}" for i in range(10)] for letter in "abcd"}
    for line in batches["a"]:
        logger.warning(line)
    source = EventSource(server.address, f"{PREFIX}/stream/app.log", AUTH)
    try:
        assert source.read_lines(10) == batches["a"]
        [worker] = server.pids_holding(log)
        os.kill(worker, signal.SIGSTOP)
        try:
            for letter in "bcd":
                handler.doRollover()
                for line in batches[letter]:
                    logger.warning(line)
        finally:
            os.kill(worker, signal.SIGCONT)
        assert source.read_lines(30) == batches["b"] + batches["c"] + batches["d"]
    finally:
        handler.close()
        source.close()


def test_a_writer_that_reopens_its_log_late_loses_nothing(server):
    """logrotate ``create``, and the application reopens its log 0.3 s later (nginx, a postrotate script)."""
    log = server.log_dir / "app.log"
    with open(log, "a", buffering=1) as old, EventSource(server.address, f"{PREFIX}/stream/app.log", AUTH) as source:
        old.write("line 0 <b>&amp;</b>\n")
        assert source.read_lines(1) == expected(0, 1)
        log.rename(server.log_dir / "app.log.1")
        log.touch()  # logrotate creates the new, empty log
        for i in range(1, 100):  # still writing to the renamed file
            old.write(f"line {i} <b>&amp;</b>\n")
            if i % 33 == 0:
                time.sleep(0.1)
        write_lines(log, 100, 120)  # reopened
        assert source.read_lines(119) == expected(1, 120)


def test_killed_worker_the_client_resumes_and_loses_nothing(server):
    log = server.log_dir / "app.log"
    write_lines(log, 0, 100)
    source = EventSource(server.address, f"{PREFIX}/stream/app.log", AUTH)
    received = source.read_lines(100)
    writer = threading.Thread(target=write_lines, args=(log, 100, 1100, 10, 0.01))
    writer.start()
    received += source.read_lines(50)
    holders = server.pids_holding(log)
    assert len(holders) == 1
    os.kill(holders[0], signal.SIGKILL)
    try:
        for event in source.events():  # drain what was sent before the kill
            received += event.lines
    except OSError:
        pass
    while len(received) < 1100:
        try:
            source.reconnect()
            for event in source.events():
                received += event.lines
                if len(received) >= 1100:
                    break
        except OSError:
            time.sleep(0.2)  # the worker is being replaced
    writer.join()
    source.close()
    assert received == expected(0, 1100)


def test_connect_disconnect_cycles_leak_no_descriptors(server):
    log = server.log_dir / "app.log"
    write_lines(log, 0, 10)

    def cycles(count: int) -> None:
        for _ in range(count):
            source = EventSource(server.address, f"{PREFIX}/stream/app.log", AUTH)
            source.read_lines(10)
            source.close()

    def settled_fds() -> int:
        # Writes are how a worker learns a client left: append until the count is stable.
        counts = []
        for i in range(40):
            write_lines(log, 1000 + i, 1001 + i)
            time.sleep(0.1)
            counts.append(server.open_fds())
            if len(counts) >= 5 and len(set(counts[-5:])) == 1:
                break
        return counts[-1]

    # The first 250 cycles reach every worker, which opens its one inotify descriptor
    # on its first stream; the next 250 must leave the count exactly where it was,
    # and no offset file behind (the server's earlier streams may still hold theirs).
    state = Path(server.env["LOG_VIEWER_STATE_DIRECTORY"])
    with ThreadPoolExecutor(5) as pool:
        list(pool.map(cycles, [50] * 5))
    before, offsets = settled_fds(), set(os.listdir(state))
    with ThreadPoolExecutor(5) as pool:
        list(pool.map(cycles, [50] * 5))
    assert settled_fds() == before
    assert set(os.listdir(state)) <= offsets


def test_missing_file_then_created_while_streaming(server):
    log = server.log_dir / "app.log"
    write_lines(log, 0, 5)
    source = EventSource(server.address, f"{PREFIX}/stream/app.log", AUTH)
    assert source.read_lines(5) == expected(0, 5)
    log.unlink()
    names, lines = [], []
    for event in source.events():
        names.append(event.name)
        if event.name == "missing":
            write_lines(log, 5, 8)
        lines += event.lines
        if len(lines) >= 3:
            break
    source.close()
    assert lines == expected(5, 8)  # in one event or several, as the writes fell
    assert names[:2] == ["missing", "rotated"]


def test_sigterm_with_open_streams_exits_promptly_and_clients_resume(log_dir, tmp_path):
    log = log_dir / "app.log"
    write_lines(log, 0, 10)
    first = Server(log_dir, tmp_path / "state-1").start()
    sources = [EventSource(first.address, f"{PREFIX}/stream/app.log", AUTH) for _ in range(100)]
    for source in sources:
        assert source.read_lines(10) == expected(0, 10)
    took = first.stop()
    print(f"SIGTERM with 100 open streams: the master exited in {took:.2f} s")
    assert took < 5 + 2, f"shutdown took {took:.1f} s"
    write_lines(log, 10, 20)
    second = Server(log_dir, tmp_path / "state-2", port=first.port).start()
    try:
        for source in sources:
            source.reconnect()
            assert source.read_lines(10) == expected(10, 20)
            source.close()
    finally:
        second.stop()


def test_polling_fallback_follows_the_file(log_dir, tmp_path):
    """gevent's libuv loop watches files by polling (uv_fs_poll), as where inotify does not reach.

    Its first stat is taken off the loop and a poll can fall between a rename and
    a create, so notifications can be missed: each costs at most one tick (1 s here).
    """
    log = log_dir / "app.log"
    write_lines(log, 0, 3)
    env = {"GEVENT_LOOP": "libuv", "LOG_VIEWER_HEARTBEAT_SECONDS": "2", "LOG_VIEWER_ROTATE_WAIT_SECONDS": "0.2"}
    server = Server(log_dir, tmp_path / "state", workers=2, **env)
    with server.start() as polling, EventSource(polling.address, f"{PREFIX}/stream/app.log", AUTH) as source:
        assert source.read_lines(3) == expected(0, 3)
        for start in range(3, 53, 5):  # ten rounds of append, then rotate and write
            write_lines(log, start, start + 3)
            assert source.read_lines(3) == expected(start, start + 3)
            log.rename(log_dir / "app.log.1")
            write_lines(log, start + 3, start + 5)
            assert source.read_lines(2) == expected(start + 3, start + 5)
