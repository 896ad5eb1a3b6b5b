"""Times: the time a log line is stamped with, and the first line of a file at or after a time.

A line's time is the first stamp in its first 160 characters: ISO 8601 (with
or without a zone, ``T`` or a space, ``,`` or ``.`` before fractions, which
covers ``logging``'s asctime), ``2026/11/25 03:00:00``, syslog's
``Nov 25 03:00:00`` (this year), an access log's ``[25/Nov/2026:03:00:00 +0000]``,
or epoch seconds or milliseconds in a JSON ``time``/``ts``/``timestamp``.
A stamp without a zone is the server's local time, as is a time asked for
without one.

The first line at or after a time is found by bisection over byte offsets:
each step reads one block where it lands and the first stamped line after it,
so a 1 GB file takes some 15 reads. Lines out of order (interleaved threads)
put the answer within a few lines of the place; lines without a stamp
(tracebacks) go with the line before.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

from .family import open_log
from .refused import Refused

BLOCK = 64 * 1024
HEAD = 160  # a stamp is looked for this far into a line
_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_MONTH = "|".join(_MONTHS)
_ISO = r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)?"
_STAMP = re.compile(
    _ISO  # 1-8
    + r"|(\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)"  # 9-14
    + r"|\[(\d\d)/("
    + _MONTH
    + r")/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})\]"  # 15-21
    + r"|\"(?:time|ts|timestamp)\" *: *(\d{10}(?:\.\d+)?|\d{13})\b"  # 22
    + r"|(?<![\w:])("
    + _MONTH
    + r") +(\d{1,2}) (\d\d):(\d\d):(\d\d)"  # 23-27
)
# Asked for: seconds may be left out (a browser's datetime-local field leaves them out at :00).
_ASKED = re.compile(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d))?(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)?")


class MomentRefused(Refused):
    """A time that is not a valid ISO 8601 date and time."""


def parse_moment(text: str) -> float | None:
    """Epoch seconds of an ISO 8601 ``<at>`` (``2026-11-25T03:00:00``, ``...Z``, ``...+01:00``), or None."""
    match = _ASKED.fullmatch(text.strip())
    if not match:
        return None
    try:
        return _iso(match.groups())
    except ValueError as error:
        raise MomentRefused(400, f"{text[:40]!r} is not a valid time: {error}") from None


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _seconds(year: int, month: int, day: int, hour: int, minute: int, second: int, zone: timezone | None) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=zone).timestamp()


def _iso(groups: tuple) -> float:
    year, month, day, hour, minute, second, fraction, zone = groups
    whole = _seconds(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), _zone(zone))
    return whole + (float(f"0.{fraction}") if fraction else 0.0)


def time_of(line: str) -> float | None:
    """The epoch seconds a line is stamped with, or None."""
    match = _STAMP.search(line, 0, HEAD)
    if not match:
        return None
    groups = match.groups()
    try:
        if groups[0]:
            return _iso(groups[0:8])
        if groups[8]:
            return _seconds(*(int(part) for part in groups[8:14]), None)
        if groups[14]:
            day, month, year, hour, minute, second, zone = groups[14:21]
            return _seconds(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), _zone(zone))
        if groups[21]:
            number = float(groups[21])
            return number / 1000 if len(groups[21]) == 13 else number
        month, day, hour, minute, second = groups[22:27]
        year = time.localtime().tm_year
        return _seconds(year, _MONTHS[month], int(day), int(hour), int(minute), int(second), None)
    except ValueError:  # 2026-02-31 and the like: not a time
        return None


def _stamped(fd: int, offset: int, length: int) -> Iterator[tuple[float, int]]:
    """(time, start) of each stamped complete line starting after ``offset`` (at it, for 0) in ``length`` bytes."""
    data = os.pread(fd, length, offset)
    start = 0 if offset == 0 else data.find(b"\n") + 1
    if offset and not start:
        return  # the bytes end inside one line
    while (end := data.find(b"\n", start)) >= 0:
        stamp = time_of(data[start : min(end, start + HEAD)].decode("utf-8", "replace"))
        if stamp is not None:
            yield stamp, offset + start
        start = end + 1


def first_at_or_after(path: str, moment: float) -> int:
    """The start of the first line stamped at or after ``moment``: 0 before the first, the end after the last."""
    with open_log(path) as fh:
        fd, size = fh.fileno(), os.fstat(fh.fileno()).st_size
        low, high = 0, size  # the answer lies in [low, high]
        while high - low > BLOCK:
            middle = (low + high) // 2
            found = next(_stamped(fd, middle, BLOCK), None)
            if found is not None and found[0] < moment:
                low = found[1]
            else:
                high = middle
        # The answer is in the block after `low`: its lines in turn.
        return next((start for stamp, start in _stamped(fd, low, 2 * BLOCK) if stamp >= moment), size)
