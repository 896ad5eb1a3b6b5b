import mmap
import os
import time
from itertools import pairwise

import gevent
import gevent.queue
from helpers import logging_records, make_tailer
from hypothesis import given, settings
from hypothesis import strategies as st

from {{ cookiecutter.project_slug }} import sse
from {{ cookiecutter.project_slug }}.cursor import Cursor, fingerprint
from {{ cookiecutter.project_slug }}.feeds import Feeds, Reader
from {{ cookiecutter.project_slug }}.levels import Levels
from {{ cookiecutter.project_slug }}.rendered import Rendered
from {{ cookiecutter.project_slug }}.streams import follow
from {{ cookiecutter.project_slug }}.tailer import Batch, Chunk
from {{ cookiecutter.project_slug }}.watcher import FileWatcher, WatcherPool


def stream(log, state, heartbeat=0.3, **tailer_values):
    log.parent.mkdir(exist_ok=True)
    state.mkdir(exist_ok=True)
    tailer = make_tailer(log, state, None, **tailer_values)
    pool = WatcherPool(interval=0.1, heartbeat=heartbeat)
    reader = Reader(tailer, Feeds(), lambda cursor: make_tailer(log, state, cursor, **tailer_values))
    return tailer, pool, follow(reader, pool, retry_ms=1000, plain=False)


def test_retry_backlog_then_live_lines(tmp_path):
    log = tmp_path / "logs" / "a.log"
    log.parent.mkdir()
    log.write_text("old\n")
    tailer, _pool, events = stream(log, tmp_path / "state")
    assert next(events) == b"retry: 1000\n\n"
    inode, old, new = log.stat().st_ino, fingerprint(b"old\n"), fingerprint(b"old\nnew\n")
    assert f'<div class="l" data-at="{inode:x}-4-{old:x}~4">old</div>'.encode() in next(events)
    gevent.spawn_later(0.05, lambda: log.open("a").write("new\n"))
    assert f'<div class="l" data-at="{inode:x}-8-{new:x}~4">new</div>'.encode() in next(events)
    events.close()
    tailer.close()


def test_heartbeat_after_silence_without_reading_the_file(tmp_path, monkeypatch):
    log = tmp_path / "logs" / "a.log"
    log.parent.mkdir()
    log.write_text("")
    tailer, _pool, events = stream(log, tmp_path / "state", heartbeat=0.2)
    next(events)
    reads = []
    original = tailer.read
    monkeypatch.setattr(tailer, "read", lambda **limits: reads.append(1) or original(**limits))
    sent = [time.monotonic()]
    for _ in range(4):
        assert next(events) == b": keepalive\n\n"
        sent.append(time.monotonic())
    gaps = [later - earlier for earlier, later in pairwise(sent)]
    # Never a whole heartbeat (0.2 s) of silence, give or take scheduling on a busy machine.
    assert all(0.05 <= gap <= 0.2 + 0.1 for gap in gaps), gaps
    assert len(reads) == 1  # read once before waiting; heartbeats do not touch the file
    events.close()
    tailer.close()


class Running:
    """A stream consumed by its own greenlet, as a response is: events queue up as it sends them."""

    def __init__(self, tmp_path, text: str, **tailer_values) -> None:
        self.log = tmp_path / "logs" / "a.log"
        self.log.parent.mkdir()
        self.log.write_text(text)
        # heartbeat 30 s: every tick is the test's own
        self.tailer, self.pool, events = stream(self.log, tmp_path / "state", heartbeat=30, **tailer_values)
        self.events: gevent.queue.Queue = gevent.queue.Queue()
        self.greenlet = gevent.spawn(lambda: [self.events.put(event) for event in events])
        self.events.get(timeout=5), self.events.get(timeout=5)  # retry, backlog

    def waiting(self) -> bool:
        """Let the stream run until it waits, and say whether it sent nothing meanwhile."""
        gevent.sleep(0.3)
        return self.events.empty()

    def close(self) -> None:
        self.greenlet.kill()
        self.tailer.close()


def test_a_swallowed_notification_costs_one_tick(tmp_path, monkeypatch):
    monkeypatch.setattr(FileWatcher, "_on_change", lambda self: None)  # the watcher hears nothing
    running = Running(tmp_path, "old\n")
    with running.pool.watch(str(running.log)) as watcher:
        assert running.waiting()  # done with what it read (it reads again a moment after sending)
        with running.log.open("a") as fh:
            fh.write("new\n")
        assert running.waiting()  # nobody told the stream
        watcher.on_tick()  # what the tick timer does
        assert b'">new</div>' in running.events.get(timeout=5)
    running.close()


def test_a_line_written_through_mmap_shows_on_the_next_tick(tmp_path):
    """ftruncate wakes the watcher (no newline yet); a write through a shared mapping wakes nobody."""
    running = Running(tmp_path, "old\n")
    line = b"mapped line\n"
    with running.pool.watch(str(running.log)) as watcher, open(running.log, "r+b") as fh:
        assert running.waiting()  # done with what it read
        seen = watcher.changes
        os.ftruncate(fh.fileno(), 4 + len(line))
        while watcher.changes == seen:
            gevent.sleep(0.01)
        assert running.waiting()  # it read the zeros and found no line
        with mmap.mmap(fh.fileno(), 4 + len(line)) as mapped:
            mapped[4:] = line
        assert running.waiting()
        watcher.on_tick()
        assert b'">mapped line</div>' in running.events.get(timeout=5)
    running.close()


def test_after_a_cut_line_the_next_line_comes_without_another_change(tmp_path):
    running = Running(tmp_path, "old\n")
    with running.log.open("ab") as fh:
        fh.write(b"y" * 3_000_000 + b"\nshort\n")  # then silence: no change, no tick
    events = [running.events.get(timeout=5)]
    while b">short<" not in events[-1]:
        events.append(running.events.get(timeout=5))
    assert b"line cut at" in events[0]
    running.close()


def test_a_renamed_log_still_written_is_drained_before_the_new_one(tmp_path):
    """logrotate ``create``, and the writer reopens its log a little later (nginx, a postrotate script)."""
    running = Running(tmp_path, "a0\n", rotate_wait=0.5)
    old = running.log.with_name("a.log.1")
    with running.log.open("a") as writer:
        running.log.rename(old)
        running.log.write_text("new 0\n")
        gevent.sleep(0.2)
        writer.write("a1\n")  # still the renamed file
    received = []
    while b">new 0<" not in b"".join(received):
        received.append(running.events.get(timeout=5))  # no tick comes: the stream wakes itself
    text = b"".join(received)
    assert text.index(b">a1<") < text.index(b"event: rotated") < text.index(b">new 0<")
    running.close()


def test_closing_the_pool_ends_streams(tmp_path):
    log = tmp_path / "logs" / "a.log"
    log.parent.mkdir()
    log.write_text("x\n")
    tailer, pool, events = stream(log, tmp_path / "state", heartbeat=30)
    next(events), next(events)
    gevent.spawn_later(0.1, pool.close)
    started = time.monotonic()
    assert list(events) == []
    assert time.monotonic() - started < 2
    tailer.close()


def batch_of(chunks: list[list[str]], cut_at: int | None = None, limit: int = 40) -> Batch:
    """A batch of contiguous chunks of these lines (``cut_at``: that chunk is a cut line instead)."""
    parts, start = [], 1000
    for i, lines in enumerate(chunks):
        data = "\n".join(lines).encode()
        parts.append(Chunk(start, data, cut=i == cut_at))
        start += len(data) + 1
    anchor = Cursor(7, start, 0xC0FFEE)
    return Batch(chunks=parts, anchor=anchor, cursor=anchor, max_line_length=limit)


def reference(batch: Batch, levels: Levels) -> bytes:
    """The event as the general path renders it: decoded lines, one element each."""
    found = levels.of(batch.lines)
    return sse.stream_event(batch.lines, batch.anchor, batch.starts, found, batch.cursor.encode()).encode()


pieces = st.sampled_from(
    [*"aZ9 <>&\"'=[]{}é\r\x00\t", "\x1b[31m", "INFO", "ERROR ", "2026-11-25 03:00:00,123 ", "level=warn ", "x" * 30]
)
lines = st.lists(pieces, max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(lines, min_size=1, max_size=6), min_size=1, max_size=4), st.integers(0, 5))
def test_the_bulk_rendering_is_the_general_one_byte_for_byte(chunks, cut_at):
    """Plain ASCII chunks go the bulk way; others (CR, escapes, UTF-8, long or cut lines) the general way."""
    batch = batch_of(chunks, cut_at=cut_at if cut_at < len(chunks) and len(chunks[cut_at]) == 1 else None)
    assert Rendered(batch, Levels()).event(plain=False) == reference(batch, Levels())


def test_bulk_batches_carry_levels_and_continuations_as_the_general_path():
    """Levels learned over many batches (the column, then looked up there) are the same either way."""
    records = logging_records(600)
    bulk, general = Levels(), Levels()
    for start in range(0, len(records), 97):
        batch = batch_of([records[start : start + 40], records[start + 40 : start + 97]], limit=1000)
        assert sse.ascii_lines(batch.chunks, batch.max_line_length) is not None
        assert Rendered(batch, bulk).event(plain=False) == reference(batch, general)
    assert bulk.column == general.column == len("2026-11-25 03:00:00,123 ")
