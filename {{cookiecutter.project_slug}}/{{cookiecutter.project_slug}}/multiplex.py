"""Several streams on one connection: the tabs of a browser share one (it opens at most 6 per host).

``GET P/streams?s=<level>:<path>&c=<cursor>&s=...`` follows each ``s`` (a log,
or the demo stream for an empty path) from its ``c`` (empty: a new stream, its
backlog first), exactly as ``P/stream`` would. Every event carries the extra
field ``s: <n>``, the index of its subscription in the request; an
``EventSource`` ignores the field, the viewer's shared worker reads it. A
subscription that cannot be served is one ``failed`` event with its status and
sentence (``404 no such log file``); the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import gevent
from gevent.queue import Empty, Queue

from . import sse
from .refused import Refused

MAX_SUBSCRIPTIONS = 64
QUEUED_EVENTS = 4  # per subscription: a subscription's reader waits while its events are not sent yet


@dataclass(frozen=True)
class Subscription:
    path: str  # "" for the demo stream
    level: str | None
    cursor: str


def subscriptions(names: list[str], cursors: list[str]) -> list[Subscription]:
    """The request's ``s`` and ``c`` values, paired; ``Refused`` (400) when they do not make a list of streams."""
    if not names:
        raise Refused(400, "name at least one stream: s=<level>:<path>")
    if len(names) > MAX_SUBSCRIPTIONS:
        raise Refused(400, f"at most {MAX_SUBSCRIPTIONS} streams on one connection")
    if cursors and len(cursors) != len(names):
        raise Refused(400, "give one c (a cursor, or empty) for each s, or none")
    found = []
    for name, cursor in zip(names, cursors or [""] * len(names), strict=True):
        level, colon, path = name.partition(":")
        if not colon:
            raise Refused(400, f"{name[:80]!r} is not <level>:<path> (the level may be empty)")
        found.append(Subscription(path, level or None, cursor))
    return found


def merged(
    streams: list[tuple[Iterator[bytes | str], Callable[[], None]]],
    retry_ms: int,
    heartbeat: float,
    beaten: bool = False,
) -> Iterator[bytes]:
    """The events of every stream, each tagged with its index, as they come; one heartbeat for all
    (none with ``beaten``: ``clients.Clients`` writes it).

    ``streams`` pairs each stream with what to run when it ends. Each is read
    by a greenlet of its own; ending this iterator (the client left) ends them all.
    """
    yield sse.retry(retry_ms).encode()
    queue: Queue = Queue(maxsize=QUEUED_EVENTS * len(streams))
    readers = [gevent.spawn(_read, index, events, closer, queue) for index, (events, closer) in enumerate(streams)]
    try:
        while True:
            try:
                yield queue.get(timeout=None if beaten else heartbeat)
            except Empty:
                yield sse.KEEPALIVE
    finally:
        gevent.killall(readers)


def _read(index: int, events: Iterator[bytes | str], closer: Callable[[], None], queue: Queue) -> None:
    """Put each event of ``events`` on ``queue``, tagged; its own retry field and heartbeats stay here."""
    tag = f"s: {index}\n".encode()
    try:
        for chunk in events:
            data = chunk.encode() if isinstance(chunk, str) else chunk
            events_of = data.split(sse.EVENT_END)
            tagged = b"".join(tag + event + sse.EVENT_END for event in events_of if _is_event(event))
            if tagged:
                queue.put(tagged)
            chunk = data = tagged = events_of = b""  # while the next event is awaited, hold none
    finally:
        close = getattr(events, "close", None)
        if close:
            close()
        closer()


def _is_event(block: bytes) -> bool:
    """Not empty, not a comment (a heartbeat), not a ``retry:`` field."""
    return bool(block) and not block.startswith((b":", b"retry:"))
