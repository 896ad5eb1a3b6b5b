"""A batch's events, each made once: by framing (HTML or plain text) and level floor.

Streams that share a batch (``feeds``) take the same bytes; the levels of its
lines are found once, in batch order, whatever the streams ask for.
"""

from __future__ import annotations

from . import sse
from .levels import Levels, kept
from .tailer import Batch

_UNSPLIT = object()


class Rendered:
    """One batch as events (``event``), made on demand and kept for every stream that asks again."""

    def __init__(self, batch: Batch, levels: Levels) -> None:
        self.batch = batch
        self.cursor = batch.cursor
        self.full = batch.more  # the read stopped at its byte budget: read on at once
        self.refused = "refused" in batch.notices
        self.size = sum(len(chunk.data) for chunk in batch.chunks)
        self.busy = sum(chunk.data.count(b"\n") + 1 for chunk in batch.chunks) > 1  # several lines: several writes
        self._levels = levels
        self._split = _UNSPLIT
        self._found: list[str | None] | None = None
        self._events: dict[tuple[bool, str | None], bytes] = {}

    def _ascii(self) -> list | None:
        """The lines in bulk (``sse.ascii_lines``), or None when some need the general path."""
        if self._split is _UNSPLIT:
            self._split = sse.ascii_lines(self.batch.chunks, self.batch.max_line_length)
        return self._split

    def found(self) -> list[str | None]:
        """Each line's level: asked once per batch, in order (``Levels`` follows records across batches)."""
        if self._found is None:
            split = self._ascii()
            if split is None:
                self._found = self._levels.of(self.batch.lines) if self.batch.chunks else []
            else:
                self._found = [level for lines, _lengths in split for level in self._levels.of(lines)]
        return self._found

    def event(self, plain: bool, floor: str | None = None) -> bytes:
        key = (plain, floor)
        made = self._events.get(key)
        if made is None:
            made = self._events[key] = self._render(plain, floor)
        return made

    def _render(self, plain: bool, floor: str | None) -> bytes:
        """Lines first (one event: HTML elements, or ``plain`` text), then each notice as a named event.

        With a ``floor`` (``level=``), only the lines at that level or above; a
        batch with none left is an event with only its id (the cursor moves on).
        """
        batch = self.batch
        event_id = batch.cursor.encode() if batch.cursor else None
        notices = "".join(sse.event(notice, event_id, name=notice) for notice in batch.notices).encode()
        if not batch.chunks:
            return notices
        split = None if plain or floor else self._ascii()
        if split is not None:  # the usual case, in bulk
            return sse.ascii_stream_event(batch.chunks, split, batch.anchor, self.found(), event_id) + notices
        lines, starts = batch.lines, batch.starts
        found = self.found() if floor or not plain else []  # plain text carries no level
        if floor:
            found, lines, starts = kept(floor, found, lines, starts)
            if not lines:
                return sse.moved_on(event_id).encode() + notices
        if plain:
            return sse.plain_lines_event(lines, event_id).encode() + notices
        return sse.stream_event(lines, batch.anchor, starts, found, event_id).encode() + notices
