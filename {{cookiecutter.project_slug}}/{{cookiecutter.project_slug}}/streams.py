"""The stream loop: reader -> events, waiting on the file's watcher between reads.

A stream's ``Reader`` (``feeds``) reads with its own tailer, or shares its file's
feed with the other streams of this worker at the live end.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import gevent

from . import sse
from .feeds import Reader
from .watcher import WatcherPool


def follow(
    reader: Reader,
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
    with watchers.watch(str(reader.path)) as watcher:
        last_sent = time.monotonic()
        while not watchers.closing.is_set():
            ticket, seen = watcher.ticket(), watcher.changes
            changed = watcher.ticket(ticks=False)
            rendered, read_at = reader.read(), time.monotonic()
            if rendered is not None:
                # Bytes: the server sends them as they are, with no encoded copy beside them.
                event, refused, full = rendered.event(plain, floor), rendered.refused, rendered.full
                del rendered  # while a slow client takes the event, hold only the event (a feed keeps its own)
                yield event
                del event  # and once it is sent, nothing: a stream idles in a few KiB
                last_sent = time.monotonic()
                if refused:
                    return
                if not full:  # a logger writing record by record: let the next records gather into one read
                    gevent.sleep(max(0.0, reader.gathered(read_at) - last_sent))
                continue
            if reader.more:  # skipping a cut line's rest: read on, letting other greenlets run
                gevent.sleep(0)
                continue
            while not watchers.closing.is_set():
                settled = beaten and not reader.stale(watcher.current)
                if not (changed if settled else ticket).wait(reader.wake_in):
                    break  # the tailer asked to look again without a change (draining a renamed file)
                ticket, changed = watcher.ticket(), watcher.ticket(ticks=False)
                if watcher.changes != seen:
                    break
                if not beaten and time.monotonic() - last_sent >= watcher.tick:
                    yield sse.KEEPALIVE
                    last_sent = time.monotonic()
                if reader.stale(watcher.current):
                    break
