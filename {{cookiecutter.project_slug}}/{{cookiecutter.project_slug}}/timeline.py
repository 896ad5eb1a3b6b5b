"""``P/timeline``'s answer: a family's lines by level in equal time buckets, summed from its files' indexes.

The buckets are whole granules: their width is the smallest multiple of the
coarsest granule of the family's indexes that lets the buckets asked for cover
the time asked for (fewer buckets when that time holds fewer granules), and the
first starts at a granule's start. Each bucket names
its first line (the first line of its earliest granule, the oldest file first)
as a line position that outlives rotation (``cursor.Cursor``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from . import levels
from .cursor import Cursor
from .family import Member
from .granules import LEVEL_NAMES, Index
from .refused import Refused

DEFAULT_BUCKETS = 120
BUCKETS = (10, 2000)  # the fewest and the most buckets a timeline may have
NO_STAMPS = "no line of this file or of its rotated siblings has a time stamp"
_NO_LINE = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Asked:
    """What a timeline is asked for: how many buckets, over which times (epoch seconds), from which level."""

    buckets: int = DEFAULT_BUCKETS
    start: float | None = None
    end: float | None = None
    floor: str | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise Refused(400, "from must not be after to")


def iso(moment: float) -> str:
    """A time as ISO 8601 in the server's zone, to the second (``strftime``: a third of ``datetime``'s cost)."""
    text = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(moment))
    return f"{text[:-2]}:{text[-2:]}"


@dataclass(frozen=True)
class Grid:
    """A timeline's buckets: the first one's start, their width and number (epoch seconds), the times they were
    made to cover, and the granule they are made of (the coarsest of the indexes counted: each divides the next)."""

    origin: int
    width: int
    count: int
    low: float
    high: float
    granule: int

    @classmethod
    def over(cls, low: float, high: float, granule: int, buckets: int) -> Grid:
        """The buckets of whole granules that cover ``low`` to ``high`` in at most ``buckets`` of them."""
        origin = math.floor(low / granule) * granule
        span = max(math.floor(high) - origin + 1, 1)
        width = granule * max(1, math.ceil(span / (buckets * granule)))
        return cls(origin, width, min(buckets, math.ceil(span / width)), low, high, granule)  # fewer: fewer granules


def reach(files: list[tuple[Member, Index]], asked: Asked) -> tuple[float, float, int] | None:
    """The times a timeline of these files covers (the ones asked, or their first and last stamps) and their
    coarsest granule; None when no line of them has a stamp."""
    stamped = [index for _member, index in files if index.keys.size]
    if not stamped:
        return None
    low = asked.start if asked.start is not None else min(index.first for index in stamped)
    high = asked.end if asked.end is not None else max(index.latest for index in stamped)
    return low, high, max(index.granule for index in stamped)


def unstamped(name: str) -> dict:
    """The answer for a family with no stamped line."""
    return {"file": name, "from": None, "to": None, "bucket_seconds": None, "buckets": [], "note": NO_STAMPS}


def answer(name: str, files: list[tuple[Member, Index]], asked: Asked, grid: Grid | None = None) -> dict:
    """The timeline of the family whose files (oldest first) have these indexes, in its own buckets or
    ``grid``'s."""
    if grid is None:
        covered = reach(files, asked)
        if covered is None:
            return unstamped(name)
        grid = Grid.over(*covered, asked.buckets)
    origin, width, count = grid.origin, grid.width, grid.count
    totals = np.zeros((count, len(LEVEL_NAMES)), np.int64)
    firsts: dict[int, tuple[int, int, str]] = {}  # bucket: (its earliest granule, the file's order, the line's at)
    for order, (member, index) in enumerate(files):
        bucket = (index.keys - origin) // width
        inside = np.flatnonzero((bucket >= 0) & (bucket < count))
        np.add.at(totals, bucket[inside], index.counts[inside].astype(np.int64))
        found, first_rows = np.unique(bucket[inside], return_index=True)  # rows go by time: the first is earliest
        for each, row in zip(found.tolist(), inside[first_rows].tolist(), strict=True):
            candidate = (int(index.keys[row]), order, _at(member, index, row))
            if candidate[2] and (each not in firsts or candidate[:2] < firsts[each][:2]):
                firsts[each] = candidate
    if asked.floor:
        totals[:, : levels.RANK[asked.floor] + 1] = 0  # "none", and the levels below the floor
    return {
        "file": name,
        "from": iso(origin),
        "to": iso(origin + count * width),
        "bucket_seconds": width,
        # What the buckets were made from: the times asked (or the first and last stamps) and the granule.
        "reach": {"from": grid.low, "to": grid.high, "granule_seconds": grid.granule},
        "buckets": [
            {
                "start": iso(origin + i * width),
                "at": firsts[i][2] if i in firsts else None,
                "counts": {level: int(n) for level, n in zip(LEVEL_NAMES, totals[i].tolist(), strict=True) if n},
            }
            for i in range(count)
        ],
    }


def _at(member: Member, index: Index, row: int) -> str | None:
    """The position of a granule's first line (None: it has only lines that continue an earlier record)."""
    offset = int(index.offsets[row])
    if offset == _NO_LINE:
        return None
    return Cursor(index.inode, offset, int(index.crcs[row]), written=member.mtime_ns // 1_000_000).encode()
