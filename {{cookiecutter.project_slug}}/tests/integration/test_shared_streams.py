"""Many viewers of one busy log on one gunicorn worker share its reads (``feeds``): every line once, each."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from eventsource import EventSource
from helpers import AUTH, PREFIX, append, numbered, numbered_text
from servers import Server

pytestmark = pytest.mark.integration

VIEWERS = 8


@pytest.fixture
def one_worker(log_dir: Path, tmp_path: Path):
    """Every viewer on the same worker, so they share its feed."""
    with Server(log_dir, tmp_path / "state", workers=1).start() as server:
        yield server


def record_by_record(log: Path, start: int, stop: int, pause: float = 0.0005) -> threading.Thread:
    """A logger writing each record as it comes: one write per line."""

    def write() -> None:
        with open(log, "a", buffering=1) as fh:
            for number in range(start, stop):
                fh.write(f"line {number}\n")
                time.sleep(pause)

    writer = threading.Thread(target=write)
    writer.start()
    return writer


class Viewer:
    """An EventSource that keeps every event, reading in a thread of its own."""

    def __init__(self, server: Server, name: str, count: int) -> None:
        self.source = EventSource(server.address, f"{PREFIX}/stream/{name}", AUTH)
        assert self.source.status == 200
        self.events: list[tuple[str | None, str]] = []
        self.lines: list[str] = []
        self.count = count
        self.thread = threading.Thread(target=self._read)
        self.thread.start()

    def _read(self) -> None:
        while len(self.lines) < self.count:
            try:
                for event in self.source.events(within=60):
                    self.events.append((event.id, event.data))
                    self.lines += event.lines
                    if len(self.lines) >= self.count:
                        return
            except OSError:
                time.sleep(0.2)  # the worker is being replaced
            self.source.reconnect()  # resumes with the last id

    def done(self, within: float = 60) -> list[str]:
        self.thread.join(within)
        assert not self.thread.is_alive(), f"got {len(self.lines)} of {self.count} lines; the last {self.lines[-2:]}"
        self.source.close()
        return self.lines


def test_viewers_of_a_busy_log_get_every_line_once_in_the_same_events(one_worker):
    log = one_worker.log_dir / "app.log"
    append(log, numbered_text(0, 1))
    viewers = [Viewer(one_worker, "app.log", 3001) for _ in range(VIEWERS)]
    record_by_record(log, 1, 3001).join()
    for viewer in viewers:
        assert viewer.done() == numbered(0, 3001)
    # Once each has joined the feed, its events are the feed's: the same ids, the same bytes, for all of them.
    shared = common_suffix([viewer.events for viewer in viewers])
    assert sum(len(data.splitlines()) for _, data in shared) > 2500, "most lines came through the shared feed"


def common_suffix(sequences: list[list]) -> list:
    """The longest run of items that ends every sequence."""
    length = 0
    while all(len(sequence) > length for sequence in sequences) and all(
        sequence[-1 - length] == sequences[0][-1 - length] for sequence in sequences
    ):
        length += 1
    return sequences[0][len(sequences[0]) - length :]


def test_a_worker_killed_mid_share_every_viewer_resumes_and_loses_nothing(one_worker):
    log = one_worker.log_dir / "app.log"
    append(log, numbered_text(0, 1))
    viewers = [Viewer(one_worker, "app.log", 2001) for _ in range(VIEWERS)]
    writer = record_by_record(log, 1, 2001, pause=0.001)
    while len(viewers[0].lines) < 300:
        time.sleep(0.01)
    (holder,) = one_worker.pids_holding(log)
    os.kill(holder, signal.SIGKILL)
    writer.join()
    for viewer in viewers:
        assert viewer.done() == numbered(0, 2001)


def test_rotation_while_shared_every_viewer_follows_once(one_worker):
    log = one_worker.log_dir / "app.log"
    append(log, numbered_text(0, 1))
    viewers = [Viewer(one_worker, "app.log", 2001) for _ in range(VIEWERS)]
    record_by_record(log, 1, 1001).join()
    log.rename(log.with_name("app.log.1"))  # then a new log, as a handler that rotates by renaming
    record_by_record(log, 1001, 2001).join()
    for viewer in viewers:
        assert viewer.done() == numbered(0, 2001)


def test_a_stalled_viewer_does_not_hold_back_the_others_of_its_file(log_dir, tmp_path):
    with Server(log_dir, tmp_path / "state", workers=1, LOG_VIEWER_STALL_SECONDS="2").start() as server:
        log = server.log_dir / "app.log"
        append(log, numbered_text(0, 1))
        stalled = EventSource(server.address, f"{PREFIX}/stream/app.log", AUTH)  # reads nothing from here on
        calm = [Viewer(server, "app.log", 50_001) for _ in range(2)]
        for start in range(1, 50_001, 5000):  # ~0.5 MB: far more than the stalled socket takes
            append(log, numbered_text(start, start + 5000))
        for viewer in calm:
            assert viewer.done() == numbered(0, 50_001)
        stalled.close()
