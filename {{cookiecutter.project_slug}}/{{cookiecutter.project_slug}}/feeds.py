"""Streams of one file at its live end share one read and one rendering per worker.

An incident is when many people open the same busy log: each stream reading
the same bytes and rendering the same HTML for itself costs viewers x writes.
So a stream reads with its own ``Tailer`` only until it reaches its file's
``Feed``: while the feed is ahead in the same file, the stream reads up to where
the feed is (``Tailer.read(until=...)``), and it joins the feed where a batch
the feed still keeps starts, or where the feed is (same file, offset and
fingerprint, both tailers at rest); a stream at the end of a file without a
feed founds it with its tailer. A feed reads once
for all its members and keeps each batch ``Rendered`` (per framing and level
floor, made once) until every member took it. A member that falls behind by
more than ``FEED_BATCHES`` full batches of log (a slow client) leaves with its
cursor and reads on its own, with a tailer made at that cursor, until it is at
the end again.
A member's events are the feed's, byte for byte; resume, rotation and levels
behave as for a stream alone, since the feed's tailer is one such stream's.

Reading never yields to other greenlets (file reads do not), so a feed is read
by one member at a time without a lock.
"""

from __future__ import annotations

import copy
import os
import time
from collections import Counter, deque
from collections.abc import Callable

from .cursor import Cursor
from .levels import Levels
from .rendered import Rendered
from .tailer import Tailer

# After sending what it read, a stream waits this long before it reads again (a read that filled its batch
# reads on at once): a logger writing each record as it comes, 10,000 writes a second, is read in batches,
# not a read, render and send per record. A quiet log's line (20 a second) is read as soon as it comes.
GATHER_SECONDS = 0.002
# A busy log (its last batch held several lines) gathers longer: this long per stream that shares the batch
# (each is a send), up to GATHER_MAX_SECONDS, so that a hundred viewers of a busy log cost tens of reads and
# sends a second each, not hundreds. A quiet log's batches hold one line: it still goes out as it comes.
GATHER_BUSY_SECONDS = 0.005
GATHER_MAX_SECONDS = 0.05


def gather(busy: bool, streams: int) -> float:
    """How long a stream lets records gather after a batch not full."""
    return min(GATHER_MAX_SECONDS, GATHER_BUSY_SECONDS * streams) if busy else GATHER_SECONDS


# How far behind a member may fall, in full batches of log (``batch_bytes`` each): further, it leaves the feed.
# A busy feed keeps at most about this much log (and its renderings) for its slowest member; many small batches
# (a logger writing record by record) fit in it.
FEED_BATCHES = 8
# Batches every member took that a feed still keeps (within the bound above): a stream catching up joins where one
# of them starts. Without them it would join only where the feed is, and a busy feed is elsewhere by then.
JOIN_BATCHES = 16


class Feed:
    """The shared reading of one file for the streams of this worker that are at its live end."""

    def __init__(self, tailer: Tailer, levels: Levels, forget: Callable[[Feed], None]) -> None:
        self.tailer = tailer
        self.levels = levels
        self.more = False  # the last read stopped at its byte budget (or in a cut line): read on at once
        self.read_at = 0.0  # when it last read (time.monotonic)
        self._busy = False  # its last batch held several lines
        self._forget = forget
        # Each batch, the log bytes read before it, and where it starts (None: the tailer was not at rest).
        self._kept: deque[tuple[Rendered, int, tuple | None]] = deque()
        self._first = 0  # the number of the first batch kept
        self._read = 0  # the log bytes read up to the end of the last batch
        self._members: dict[Reader, int] = {}  # member -> the number of the next batch it takes
        self._waiting: Counter[int] = Counter()  # batch number -> members that take it next (trimming in O(1))

    @property
    def _next(self) -> int:
        return self._first + len(self._kept)

    @property
    def place(self) -> Cursor | None:
        """Where the feed has read to, when its tailer is at rest (None: it is mid-rotation or mid-line)."""
        return self.tailer.last if self.tailer.resting else None

    def join(self, member: Reader, tailer: Tailer) -> bool:
        """``member`` joins, if ``tailer`` (its own, at rest) is where the feed is or where a kept batch starts."""
        if not tailer.resting:
            return False
        place = _place(tailer.last)
        if place == _place(self.place):
            self._place_member(member, self._next)
            return True
        for number, (_rendered, _read, start) in enumerate(self._kept, self._first):
            if start == place:
                self._place_member(member, number)
                return True
        return False

    def _place_member(self, member: Reader, number: int | None) -> None:
        """``member`` takes batch ``number`` next (None: it is no member any more)."""
        before = self._members.pop(member, None)
        if before is not None:
            self._waiting[before] -= 1
        if number is not None:
            self._members[member] = number
            self._waiting[number] += 1

    def leave(self, member: Reader) -> None:
        if member in self._members:
            self._place_member(member, None)
            self._trim()
        if not self._members:
            self._forget(self)
            self.tailer.close()

    @property
    def gathered(self) -> float:
        """When its next read may come (time.monotonic): a busy log's records gather longer the more members
        share them."""
        return self.read_at + gather(self._busy, len(self._members))

    def behind(self, member: Reader) -> bool:
        """Whether batches wait for ``member``."""
        return self._members[member] < self._next

    def take(self, member: Reader) -> Rendered | None:
        """The next batch for ``member``: kept, or read now (None: nothing new)."""
        if not self.behind(member):
            start = _place(self.place)
            self.read_at = time.monotonic()
            batch = self.tailer.read()
            self.more = batch.more
            if not (batch.chunks or batch.notices):
                return None
            rendered = Rendered(batch, self.levels)
            rendered.found()  # levels in batch order, whichever framing its members ask for first
            self._busy = rendered.busy
            self._kept.append((rendered, self._read, start))
            self._read += rendered.size
            self._drop_laggards()
        number = self._members[member]
        self._place_member(member, number + 1)
        taken = self._kept[number - self._first][0]
        self._trim()
        return taken

    def _behind_by(self, number: int) -> int:
        """The log bytes a member whose next batch is ``number`` has still to take."""
        return self._read - self._kept[number - self._first][1] if number < self._next else 0

    def _drop_laggards(self) -> None:
        """Members behind by more than ``FEED_BATCHES`` full batches leave, to read on alone from where they are."""
        limit = FEED_BATCHES * self.tailer.batch_bytes
        if self._behind_by(self._first) <= limit:
            return  # all it keeps is within the limit: nobody is that far behind
        for member, number in list(self._members.items()):
            if self._behind_by(number) > limit:
                member.left(copy.deepcopy(self.levels))
                self._place_member(member, None)
        self._trim()

    def _trim(self) -> None:
        """Forget the batches every member took, but the last ``JOIN_BATCHES`` (within the bound)."""
        limit = FEED_BATCHES * self.tailer.batch_bytes
        while (
            self._first < self._next
            and not self._waiting[self._first]
            and (self._first < self._next - JOIN_BATCHES or self._behind_by(self._first) > limit)
        ):
            del self._waiting[self._first]
            self._kept.popleft()
            self._first += 1


def _place(cursor: Cursor | None) -> tuple[int, int, int] | None:
    return cursor and (cursor.inode, cursor.offset, cursor.fingerprint)


class Feeds:
    """The feeds of one blueprint in one worker, by file."""

    def __init__(self) -> None:
        self._feeds: dict[str, Feed] = {}

    def of(self, tailer: Tailer) -> Feed | None:
        return self._feeds.get(str(tailer.path))

    def found(self, reader: Reader, tailer: Tailer, levels: Levels) -> Feed:
        """A feed for ``tailer``'s file, read by ``tailer`` from now on, with ``reader`` its first member."""
        feed = self._feeds[str(tailer.path)] = Feed(tailer, levels, self._forget)
        feed.join(reader, tailer)
        return feed

    def _forget(self, feed: Feed) -> None:
        if self._feeds.get(str(feed.tailer.path)) is feed:
            del self._feeds[str(feed.tailer.path)]


class Reader:
    """A stream's batches: from its own tailer, or from its file's feed once it is at the live end."""

    def __init__(self, tailer: Tailer, feeds: Feeds, reopen: Callable[[Cursor], Tailer]) -> None:
        self.path = tailer.path
        self._tailer: Tailer | None = tailer
        self._levels = Levels()
        self._feeds = feeds
        self._reopen = reopen
        self._feed: Feed | None = None
        self._left: Levels | None = None  # dropped by its feed: the levels to go on with alone
        self.more = False
        self._busy = False  # its own last batch held several lines
        self.cursor: Cursor | None = None  # just past the last batch taken

    @property
    def shared(self) -> bool:
        return self._feed is not None

    @property
    def wake_in(self) -> float | None:
        tailer = self._feed.tailer if self._feed else self._tailer
        return tailer and tailer.wake_in

    def read(self) -> Rendered | None:
        """The next batch (None: nothing new; ``more`` says whether to read on at once)."""
        if self._left:
            try:
                self._tailer = self._reopen(self.cursor)
            except FileNotFoundError:  # between two steps of a rotation: at the next change or tick
                return None
            self._levels, self._left = self._left, None
        feed = self._feed or self._join()
        if feed:
            rendered = feed.take(self)
            self.more = feed.more
        else:
            target = self._feeds.of(self._tailer)
            batch = self._tailer.read(until=target and target.place)
            self.more = batch.more
            rendered = Rendered(batch, self._levels) if batch.chunks or batch.notices else None
            self._busy = rendered is not None and rendered.busy
            if rendered is None and not self.more and target is None and self._tailer.resting:
                self._feed = self._feeds.found(self, self._tailer, self._levels)  # at the end: the first here
                self._tailer = None
        if rendered is not None:
            self.cursor = rendered.cursor or self.cursor
        return rendered

    def _join(self) -> Feed | None:
        """Into its file's feed, when this stream's tailer is where the feed is or where a batch it keeps starts."""
        feed = self._feeds.of(self._tailer)
        if feed is None or not feed.join(self, self._tailer):
            return None
        self.cursor = self._tailer.last
        self._tailer.close()
        self._tailer, self._feed = None, feed
        return feed

    def gathered(self, read_at: float) -> float:
        """When to read again after a batch not full (time.monotonic), its records gathered meanwhile (at once, for
        a member that batches wait for)."""
        if self._feed:
            return 0.0 if self._feed.behind(self) else self._feed.gathered
        return read_at + gather(self._busy, 1)

    def stale(self, current: os.stat_result | None) -> bool:
        """Whether a read may find something (``Tailer.stale``), or batches wait in the feed."""
        if self._left:
            return True
        if self._feed:
            return self._feed.behind(self) or self._feed.tailer.stale(current)
        return self._tailer.stale(current)

    def left(self, levels: Levels) -> None:
        """Dropped by its feed (too far behind): at its next read it goes on alone from ``cursor``."""
        self._feed = None
        self._left = levels

    def close(self) -> None:
        if self._feed:
            self._feed.leave(self)
            self._feed = None
        if self._tailer:
            self._tailer.close()
            self._tailer = None
