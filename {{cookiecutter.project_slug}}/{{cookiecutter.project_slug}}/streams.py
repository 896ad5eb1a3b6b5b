"""The stream loop: tailer -> events, waiting on the file's watcher between reads."""

from __future__ import annotations

import time
from collections.abc import Iterator

import gevent

from . import sse
from .levels import Levels, kept
from .tailer import Batch, Tailer
from .watcher import WatcherPool

KEEPALIVE = sse.comment().encode()
# After sending what it read, a stream waits this long before it reads again (a read that filled its batch
# reads on at once): a logger writing each record as it comes, 10,000 writes a second, is read in batches,
# not a read, render and send per record. A quiet log's line (20 a second) is read as soon as it comes.
GATHER_SECONDS = 0.002


class StreamSlots:
    """A cap on the open streams of one blueprint in one worker."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0

    def acquire(self) -> bool:
        if self.open >= self.limit:
            return False
        self.open += 1
        return True

    def release(self) -> None:
        self.open -= 1


def render(batch: Batch, plain: bool, levels: Levels, floor: str | None = None) -> bytes:
    """Lines first (one event: HTML elements, or ``plain`` text), then each notice as a named event.

    With a ``floor`` (``level=``), only the lines at that level or above; a
    batch with none left is an event with only its id (the cursor moves on).
    """
    event_id = batch.cursor.encode() if batch.cursor else None
    notices = "".join(sse.event(notice, event_id, name=notice) for notice in batch.notices).encode()
    if not batch.chunks:
        return notices
    split = None if plain or floor else sse.ascii_lines(batch.chunks, batch.max_line_length)
    if split is not None:  # the usual case, in bulk
        found: list[str | None] = []
        for lines, _lengths in split:
            found += levels.of(lines)
        return sse.ascii_stream_event(batch.chunks, split, batch.anchor, found, event_id) + notices
    lines, starts = batch.lines, batch.starts
    found = levels.of(lines) if floor or not plain else []  # plain text carries no level
    if floor:
        found, lines, starts = kept(floor, found, lines, starts)
        if not lines:
            return (f"id: {event_id}\n\n" if event_id else "").encode() + notices
    if plain:
        return sse.plain_lines_event(lines, event_id).encode() + notices
    return sse.stream_event(lines, batch.anchor, starts, found, event_id).encode() + notices


def follow(
    tailer: Tailer,
    watchers: WatcherPool,
    retry_ms: int,
    plain: bool,
    floor: str | None = None,
    beaten: bool = False,
) -> Iterator[bytes]:
    """Events (UTF-8) for every new line until the client leaves, the file is refused, or the worker stops.

    ``plain`` sends each line as its raw text instead of an HTML element;
    ``floor`` keeps only the lines at that level or above; ``beaten``: the
    heartbeats are written by someone else (``clients.Clients``).

    The file is read after the watcher reports a change (a tick that finds the
    path changed counts as one, so a missed or coalesced notification costs at
    most one tick). Its ticks (every half heartbeat) wake the streams that
    send their own heartbeats, and those whose position is not the file's end
    (an unfinished line): a silent one sends a comment, so silence stays within
    a heartbeat; each compares the watcher's look at the path with its
    position (no system call). An idle ``beaten`` stream at the file's end
    sleeps until a change. No stream holds a timer of its own.
    """
    yield sse.retry(retry_ms).encode()
    levels = Levels()
    with watchers.watch(str(tailer.path)) as watcher:
        last_sent = time.monotonic()
        while not watchers.closing.is_set():
            ticket, seen = watcher.ticket(), watcher.changes
            changed = watcher.ticket(ticks=False)
            batch, read_at = tailer.read(), time.monotonic()
            if batch.chunks or batch.notices:
                # Bytes: the server sends them as they are, with no encoded copy beside them.
                event, refused = render(batch, plain, levels, floor), "refused" in batch.notices
                full = batch.more
                del batch  # while a slow client takes the event, hold only the event
                yield event
                del event  # and once it is sent, nothing: a stream idles in a few KiB
                last_sent = time.monotonic()
                if refused:
                    return
                if not full:  # a logger writing record by record: let the next records gather into one read
                    gevent.sleep(max(0.0, read_at + GATHER_SECONDS - last_sent))
                continue
            if batch.more:  # skipping a cut line's rest: read on, letting other greenlets run
                gevent.sleep(0)
                continue
            while not watchers.closing.is_set():
                settled = beaten and not tailer.stale(watcher.current)
                if not (changed if settled else ticket).wait(tailer.wake_in):
                    break  # the tailer asked to look again without a change (draining a renamed file)
                ticket, changed = watcher.ticket(), watcher.ticket(ticks=False)
                if watcher.changes != seen:
                    break
                if not beaten and time.monotonic() - last_sent >= watcher.tick:
                    yield KEEPALIVE
                    last_sent = time.monotonic()
                if tailer.stale(watcher.current):
                    break
