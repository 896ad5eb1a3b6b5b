"""``P/stream?files=``: the live lines of several files as one stream, merged by time.

Each file is followed by a stream of its own (``live.open_stream``), read by a
greenlet of its own; its events are taken apart into lines, each with its time
(``merged.stamped``). A line goes out once every other file has shown a line of
its time or later, or once it has waited ``HOLD``: a writer whose buffer
flushes up to a second after another's still has its lines put in their
place. A line older than one already sent goes out where it arrives, marked
``data-late``. Lines of a file keep the file's order. A file whose lines have
no stamps is merged by arrival, and the page is told so (``unstamped``).

The event id is a cursor over every file, in the order the files are named,
joined by commas: for each, the id of its last event whose lines all went out,
and ``+<n>`` when the first ``n`` lines of its next one did too (``""``: none
yet). Resumed with it, each file's stream starts after that event and its first
``n`` lines are dropped: every line of every file arrives once.
"""

from __future__ import annotations

import html
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import gevent
from gevent.queue import Empty, Queue

from . import merged, sse
from .moments import LineTimes
from .refused import Refused

HOLD = 1.0  # seconds a line waits for an earlier line of another file
QUEUED_EVENTS = 4  # per file: its reader waits while its events are not taken
UNSTAMPED = "its lines have no time stamps: they are merged as they arrive"
_NO_TIME = float("-inf")  # the time of a line before any stamp of its file
_PART = re.compile(r"([0-9a-f.~-]*)(?:\+(\d+))?")

Opened = tuple[Iterator[bytes], Callable[[], None]]


def resumed(last_event_id: str, count: int) -> list[tuple[str, int]]:
    """Each file's event id and lines already sent of its next event, from a merged stream's event id."""
    if not last_event_id:
        return [("", 0)] * count
    parts = last_event_id.split(",")
    found = [_PART.fullmatch(part) for part in parts]
    if len(parts) != count or not all(found):
        raise Refused(400, f"Last-Event-ID is not a cursor of these {count} files; reload the page to start afresh")
    return [(match.group(1), int(match.group(2) or 0)) for match in found]


@dataclass
class _File:
    """One file's side of the merge: its name, what it sent, what waits."""

    name: str
    event_id: str  # of its last event whose lines all went out
    skip: int  # lines of its next event sent before a resume: dropped as they come again
    latest: float = float("-inf")  # the time of its newest line so far
    last: float | None = None  # the time of its last line (a line without a stamp takes it)
    times: LineTimes = field(default_factory=LineTimes)  # its lines' times (a stamp without a year: this one's)
    attributes: str = ""  # its data-file attribute, as every line of it gets it
    waiting: deque = field(default_factory=deque)  # (moment, arrived, element)
    events: deque = field(default_factory=deque)  # [event id, lines not yet sent], oldest first
    sent: int = 0  # lines of the oldest event in ``events`` already sent
    unstamped: bool = False  # whether the page was told this file's lines have no stamps (yet)

    def cursor(self) -> str:
        return f"{self.event_id}+{self.sent}" if self.events and self.sent else self.event_id


def stream(
    files: list[tuple[str, Opened]], resumes: list[tuple[str, int]], retry_ms: int, heartbeat: float, beaten: bool
) -> Iterator[bytes]:
    """The merged events of ``files`` (each its name and its opened stream), from ``resumes`` (``resumed``)."""
    yield sse.retry(retry_ms).encode()
    state = [_File(name, event_id, skip) for (name, _opened), (event_id, skip) in zip(files, resumes, strict=True)]
    queue: Queue = Queue(maxsize=QUEUED_EVENTS * len(files))
    readers = [gevent.spawn(_read, index, opened, queue) for index, (_name, opened) in enumerate(files)]
    last_sent, newest = time.monotonic(), float("-inf")
    try:
        while True:
            due = min((file.waiting[0][1] + HOLD for file in state if file.waiting), default=None)
            wait = None if due is None and beaten else max(0.0, (due or last_sent + heartbeat) - time.monotonic())
            try:
                index, kind, payload = queue.get(timeout=wait)
                notes = _take(state[index], kind, payload)
            except Empty:
                notes = []
            elements, newest = _due(state, newest)
            yield from notes
            if elements:
                cursor = ",".join(file.cursor() for file in state)
                yield (f"id: {cursor}\n" + "".join(f"data: {element}\n" for element in elements) + "\n").encode()
            if elements or notes:
                last_sent = time.monotonic()
            if not (elements or notes) and not beaten and time.monotonic() - last_sent >= heartbeat:
                yield sse.KEEPALIVE
                last_sent = time.monotonic()
    finally:
        gevent.killall(readers)


def _take(file: _File, kind: str, payload: tuple) -> list[bytes]:
    """Take one event of a file's stream: its lines wait their turn; a note goes out as it is, naming the file."""
    if kind == "note":
        name, data = payload
        return [sse.event(f"{file.name}: {data}", name=name).encode()]
    event_id, elements = payload if kind == "lines" else (payload[0], [])
    count, dropped = len(elements), 0
    if file.skip and not file.events:  # lines a resume had sent already: counted as sent again
        dropped = min(file.skip, count)
        file.skip -= dropped
        elements = elements[dropped:]
    if not elements:  # nothing of it to send (or an id alone: lines a level filter dropped)
        if file.events:
            file.events.append([event_id, 0])
        else:
            file.event_id = event_id
        return []
    if not file.events:
        file.sent = dropped  # of this event, now the oldest not all sent
    arrived = time.monotonic()
    texts = [merged.text_of(element) for element in elements]
    for line in merged.stamped(0, texts, elements, file.times, file.last):
        file.waiting.append((line.moment, arrived, line.element))
        file.last = line.moment
        file.latest = max(file.latest, line.moment)
    file.events.append([event_id, count])
    if file.last == _NO_TIME and not file.unstamped:  # none of its lines so far has a stamp: said once
        file.unstamped = True
        return [sse.event(f"{file.name}: {UNSTAMPED}", name="unstamped").encode()]
    return []


def _due(state: list[_File], newest: float) -> tuple[list[str], float]:
    """The lines that may go out now, in time order (each file's in its order), and the newest time sent."""
    out = []
    now = time.monotonic()
    while True:
        heads = [(file.waiting[0][0], order) for order, file in enumerate(state) if file.waiting]
        if not heads:
            return out, newest
        moment, order = min(heads)
        file = state[order]
        _moment, arrived, element = file.waiting[0]
        others_past = all(other.latest >= moment for other in state if other is not file)
        if not others_past and now < arrived + HOLD:
            return out, newest
        file.waiting.popleft()
        late = _NO_TIME < moment < newest  # a line without a time goes out as it arrives, never late
        newest = max(newest, moment)
        out.append(_tagged(element, file, late))
        _sent_one(file)


def _sent_one(file: _File) -> None:
    """Count a line of the file's oldest event as sent; an event all sent becomes its cursor."""
    file.sent += 1
    while file.events and file.sent >= file.events[0][1]:
        file.sent -= file.events[0][1]
        file.event_id = file.events.popleft()[0]


def _tagged(element: str, file: _File, late: bool) -> str:
    """A line element with its file (and ``data-late``) among its attributes."""
    if not file.attributes:
        file.attributes = f' data-file="{html.escape(file.name)}"'
    return element.replace(">", file.attributes + (' data-late="1">' if late else ">"), 1)


def _read(index: int, opened: Opened, queue: Queue) -> None:
    """Put each event of one file's stream on ``queue``: its lines, an id alone, or a named note."""
    events, closer = opened
    try:
        for chunk in events:
            data = chunk.decode() if isinstance(chunk, bytes) else chunk
            for block in data.split("\n\n"):
                parsed = _parsed(block)
                if parsed:
                    queue.put((index, *parsed))
    finally:
        close = getattr(events, "close", None)
        if close:
            close()
        closer()


def _parsed(block: str) -> tuple[str, tuple] | None:
    """An event's kind and payload: ("lines", (id, elements)), ("moved", (id,)): an id alone, ("note", (name,
    data))."""
    if not block or block.startswith((":", "retry:")):
        return None
    event_id, name, data = "", None, []
    for line in block.split("\n"):
        field_name, _, value = line.partition(": ")
        if field_name == "id":
            event_id = value
        elif field_name == "event":
            name = value
        elif field_name == "data":
            data.append(value)
    if name:
        return "note", (name, "\n".join(data))
    if data:
        return "lines", (event_id, data)
    return ("moved", (event_id,)) if event_id else None
