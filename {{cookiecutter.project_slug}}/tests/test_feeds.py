"""Streams of one file at its live end share one read and one rendering (``feeds``), in one process."""

from __future__ import annotations

import re

import gevent
import gevent.event
import pytest
from helpers import append, make_tailer, numbered, numbered_text

from {{ cookiecutter.project_slug }} import feeds
from {{ cookiecutter.project_slug }}.feeds import Feeds, Reader
from {{ cookiecutter.project_slug }}.streams import follow
from {{ cookiecutter.project_slug }}.tailer import Tailer
from {{ cookiecutter.project_slug }}.watcher import WatcherPool

LINE = re.compile(rb'<div class="l"[^>]*>([^<]*)</div>')


class Viewer:
    """A stream consumed by a greenlet of its own, as a response is; ``gate`` cleared: a client that stalls."""

    def __init__(self, log, state, shared: Feeds, pool: WatcherPool, **values) -> None:
        self.reader = Reader(
            make_tailer(log, state, None, **values), shared, lambda cursor: make_tailer(log, state, cursor, **values)
        )
        self.events: list[bytes] = []
        self.gate = gevent.event.Event()
        self.gate.set()
        self.arrived = gevent.event.Event()
        self.greenlet = gevent.spawn(self._consume, follow(self.reader, pool, retry_ms=1000, plain=False))

    def _consume(self, events) -> None:
        for event in events:
            self.events.append(event)
            self.arrived.set()
            self.gate.wait()

    def lines(self) -> list[str]:
        return [line.decode() for event in self.events for line in LINE.findall(event)]

    def wait_for(self, line: str, within: float = 5.0) -> None:
        with gevent.Timeout(within, AssertionError(f"{line!r} never came; the last: {self.lines()[-3:]}")):
            while line not in self.lines():
                self.arrived.clear()
                self.arrived.wait()

    def close(self) -> None:
        self.greenlet.kill()
        self.reader.close()


@pytest.fixture
def world(tmp_path):
    """A log with a first line, a state directory, a watcher pool and the feeds; viewers are closed after."""
    log = tmp_path / "logs" / "app.log"
    log.parent.mkdir()
    log.write_text("line 0\n")
    (tmp_path / "state").mkdir()
    pool = WatcherPool(interval=0.1, heartbeat=30)
    shared = Feeds()
    opened: list[Viewer] = []

    def viewer(**values) -> Viewer:
        opened.append(Viewer(log, tmp_path / "state", shared, pool, **values))
        opened[-1].wait_for("line 0")
        return opened[-1]

    yield log, viewer
    for each in opened:
        each.close()
    pool.close()


def reads_with_lines(monkeypatch) -> list[int]:
    """Counts every ``Tailer.read`` that found lines, in any stream or feed."""
    counted: list[int] = []
    original = Tailer.read

    def read(self):
        batch = original(self)
        if batch.chunks:
            counted.append(1)
        return batch

    monkeypatch.setattr(Tailer, "read", read)
    return counted


def settled(*viewers: Viewer) -> None:
    """Until every viewer is in the file's feed (each joins when its read finds the end)."""
    with gevent.Timeout(5, AssertionError("a viewer never joined the feed")):
        while not all(viewer.reader.shared for viewer in viewers):
            gevent.sleep(0.005)


def test_streams_at_the_end_share_one_read_and_get_byte_identical_events(world, monkeypatch):
    log, viewer = world
    viewers = [viewer() for _ in range(5)]
    settled(*viewers)
    reads = reads_with_lines(monkeypatch)
    before = [len(each.events) for each in viewers]
    for start in range(1, 201, 20):
        append(log, numbered_text(start, start + 20))
        for each in viewers:
            each.wait_for(f"line {start + 19}")
    shared_events = [each.events[count:] for each, count in zip(viewers, before, strict=True)]
    assert all(events == shared_events[0] for events in shared_events)
    assert len(reads) == len(shared_events[0]), "one read per batch for all five streams"
    for each in viewers:
        assert each.lines() == numbered(0, 201)


def test_a_stalled_stream_leaves_the_feed_others_go_on_and_it_catches_up_and_joins_again(world, monkeypatch):
    monkeypatch.setattr(feeds, "FEED_BATCHES", 2)
    log, viewer = world
    calm, stalled = viewer(batch_bytes=4096), viewer(batch_bytes=4096)
    settled(calm, stalled)
    left = []
    original_left = Reader.left
    monkeypatch.setattr(Reader, "left", lambda self, levels: left.append(self) or original_left(self, levels))
    stalled.gate.clear()
    for start in range(1, 3001, 300):  # ~30 KB, more than 2 batches of 4 KiB behind
        append(log, numbered_text(start, start + 300))
        calm.wait_for(f"line {start + 299}")  # the calm stream is not held back
    assert left == [stalled.reader]
    assert "line 3000" not in stalled.lines()
    stalled.gate.set()
    stalled.wait_for("line 3000")  # alone, from where it was
    append(log, numbered_text(3001, 3002))
    settled(stalled)  # at the end again: back in the feed
    for each in (calm, stalled):
        each.wait_for("line 3001")
        assert each.lines() == numbered(0, 3002)


def test_rotation_while_shared_reaches_every_member_once(world):
    log, viewer = world
    viewers = [viewer() for _ in range(3)]
    settled(*viewers)
    append(log, numbered_text(1, 50))
    log.rename(log.with_name("app.log.1"))
    append(log, numbered_text(50, 100))
    for each in viewers:
        each.wait_for("line 99")
        assert each.lines() == numbered(0, 100)
        assert sum(event.count(b"event: rotated") for event in each.events) == 1
    assert viewers[0].events[-3:] == viewers[1].events[-3:] == viewers[2].events[-3:]


def test_a_stream_resumed_from_an_older_cursor_reads_alone_until_it_reaches_the_end(world, tmp_path):
    log, viewer = world
    first = viewer()
    settled(first)
    append(log, numbered_text(1, 1000))
    first.wait_for("line 999")
    late = viewer(backlog_lines=1000)  # starts 1,000 lines back: alone up to where the feed is, then in it
    settled(late)
    append(log, numbered_text(1000, 1001))
    late.wait_for("line 1000")
    assert late.lines() == numbered(0, 1001)


def test_the_last_member_to_leave_closes_the_feed(world, tmp_path):
    _log, viewer = world
    viewers = [viewer() for _ in range(2)]
    settled(*viewers)
    for each in viewers:
        each.close()
    assert not list((tmp_path / "state").iterdir()), "the feed's tailer left its offset file"
