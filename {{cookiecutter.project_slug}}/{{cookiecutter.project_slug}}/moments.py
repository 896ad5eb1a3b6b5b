"""Times: the time a log line is stamped with, and the first line of a file at or after a time.

A line's time is the first stamp in its first 160 characters (``_FORMATS``):
ISO 8601 (with or without a zone, ``T`` or a space, ``,`` or ``.`` before
fractions, which covers ``logging``'s asctime), the dotted
``2005-06-03-15.42.50.675872``, ``2026/11/25 03:00:00``, log4j's two-digit
``17/06/09 20:10:40`` and compact ``081109 203615`` at a line's start, an
access log's ``[25/Nov/2026:03:00:00 +0000]``, epoch seconds or milliseconds in
a JSON ``time``/``ts``/``timestamp``, and the year-less syslog
``Nov 25 03:00:00`` and logcat ``03-17 16:13:38.811`` (the year of the file's
last write). A stamp without a zone is the server's local time, as is a time
asked for without one.

The first line at or after a time is found by bisection over byte offsets:
each step reads one block where it lands and the first stamped line after it,
so a 1 GB file takes some 15 reads. Lines out of order (interleaved threads)
put the answer within a few lines of the place; lines without a stamp
(tracebacks) go with the line before.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from .family import open_log
from .refused import Refused

BLOCK = 64 * 1024
HEAD = 160  # a stamp is looked for this far into a line
_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_MONTH = "|".join(_MONTHS)
_ISO = r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)?"
# Each stamp a line may start with (or hold in its head), by name: its pattern, its fields in order.
# Two-digit years are this century's; stamps without a year take the file's (see ``time_of``).
_FORMATS = {
    "iso": _ISO,  # year, month, day, hour, minute, second, fraction, zone
    "dotted": r"(\d{4})-(\d\d)-(\d\d)-(\d\d)\.(\d\d)\.(\d\d)(?:\.(\d{1,9}))?",  # DB2, Blue Gene: ...-15.42.50.675872
    "slashed": r"(\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?",  # Go's log, nginx's error log
    "short": r"^(\d\d)/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)",  # log4j's yy/MM/dd HH:mm:ss (Spark)
    "compact": r"^(\d\d)(\d\d)(\d\d) (\d\d)(\d\d)(\d\d)(?!\d)",  # yyMMdd HHmmss (HDFS)
    "access": r"\[(\d\d)/(" + _MONTH + r")/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})\]",  # day, month, year...
    # ctime with the year last (Apache's error log: [Tue Nov 25 03:00:00.123 2026]): month, day, time, year
    "ctime": r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (" + _MONTH + r") +(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d+))? (\d{4})",
    "day_month": r"(\d\d) (" + _MONTH + r") (\d{4}) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?",  # Redis: 25 Nov 2026 ...
    "journal": r"\"__REALTIME_TIMESTAMP\" *: *\"(\d{16})\"",  # journalctl -o json: microseconds
    "epoch": r"\"(?:time|ts|timestamp)\" *: *(\d{10}(?:\.\d+)?|\d{13})\b",  # JSON: seconds or milliseconds
    "syslog": r"(?<![\w:])(" + _MONTH + r") +(\d{1,2}) (\d\d):(\d\d):(\d\d)",  # no year
    "logcat": r"^(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3})",  # Android's threadtime: no year
}
_FIELDS = {name: re.compile(pattern) for name, pattern in _FORMATS.items()}
_DIGITS = re.compile(r"\d{1,9}")
_UNSEEN = object()  # a second not read yet (None: read, and no time)
_STAMP = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _FORMATS.items()))
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


def exact(moment: float) -> str:
    """``moment`` as an ISO 8601 ``<at>`` time to the microsecond, in UTC (``parse_moment`` reads it back)."""
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="microseconds")


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


def time_of(line: str, written: float | None = None) -> float | None:
    """The epoch seconds a line is stamped with, or None.

    A stamp without a year takes the year of ``written`` (its file's last write; now, if not given), or the
    year before when its month comes after that one's (December's lines in a file written in January).
    """
    match = _STAMP.search(line, 0, HEAD)
    if not match:
        return None
    name = match.lastgroup
    fields = _FIELDS[name].match(match.group(name)).groups()
    try:
        return _CONVERTERS[name](fields, written)
    except ValueError:  # 2026-02-31 and the like: not a time
        return None


# Where each stamp that a line starts at a fixed column keeps its seconds: the group of its pattern (a timeline
# reads such lines in bulk, ``granules``). The JSON stamps are read line by line.
SECONDS_GROUP = {
    "iso": 6, "dotted": 6, "slashed": 6, "short": 6, "compact": 6, "access": 6,
    "ctime": 5, "day_month": 6, "syslog": 5, "logcat": 5,
}  # fmt: skip


@dataclass(frozen=True)
class Stamp:
    """Where a line's stamp is: its format, its first column, and the columns of its seconds' two digits."""

    name: str
    column: int
    seconds: int  # the first digit of the seconds
    end: int  # just past the seconds


def stamp_of(line: str) -> Stamp | None:
    """Where the first stamp of a line is (None: it has none, or none with seconds at a fixed place)."""
    match = _STAMP.search(line, 0, HEAD)
    if not match or match.lastgroup not in SECONDS_GROUP:
        return None
    name = match.lastgroup
    fields = _FIELDS[name].match(match.group(name))
    start = match.start(name)
    group = SECONDS_GROUP[name]
    return Stamp(name, start, start + fields.start(group), start + fields.end(group))


def time_as(name: str, text: str, written: float | None = None) -> float | None:
    """The epoch seconds of a stamp of format ``name`` at the start of ``text``, or None."""
    match = _FIELDS[name].match(text)
    if not match:
        return None
    try:
        return _CONVERTERS[name](match.groups(), written)
    except ValueError:
        return None


class LineTimes:
    """The times of one file's lines, read fast: the place of its stamp is learned from its first stamped line,
    and each second's value is computed once (the fraction is read from the digits after it). A line whose
    stamp is not there (a traceback, another layout) is read whole (``time_of``)."""

    CACHED = 4096  # seconds kept

    def __init__(self, written: float | None = None) -> None:
        self.written = written
        self._stamp: Stamp | None = None
        self._seconds: dict[str, int | None] = {}

    def of(self, line: str) -> float | None:
        stamp = self._stamp
        if stamp is None:
            self._stamp = stamp_of(line)
            return time_of(line, self.written)
        key = line[stamp.column : stamp.end]
        whole = self._seconds.get(key, _UNSEEN)
        if whole is _UNSEEN:
            moment = time_as(stamp.name, line[stamp.column :], self.written)
            whole = None if moment is None else math.floor(moment)
            if len(self._seconds) >= self.CACHED:
                self._seconds.clear()
            self._seconds[key] = whole
        if whole is None:
            return time_of(line, self.written)
        if line[stamp.end : stamp.end + 1] not in (".", ","):
            return float(whole)
        digits = _DIGITS.match(line, stamp.end + 1)
        return whole + (int(digits.group()) / 10 ** len(digits.group()) if digits else 0.0)


def _local(year: int, month: int, day: int, hour: int, minute: int, second: int, fraction: str | None) -> float:
    return _seconds(year, month, day, hour, minute, second, None) + (float(f"0.{fraction}") if fraction else 0.0)


def _year_of(month: int, written: float | None) -> int:
    reference = time.localtime(written)
    return reference.tm_year - 1 if month > reference.tm_mon else reference.tm_year


def _century(year: str) -> int:
    return 2000 + int(year)


_CONVERTERS = {
    "iso": lambda f, _written: _iso(f),
    "dotted": lambda f, _written: _local(*map(int, f[:6]), f[6]),
    "slashed": lambda f, _written: _local(*map(int, f[:6]), f[6]),
    "short": lambda f, _written: _local(_century(f[0]), *map(int, f[1:6]), None),
    "compact": lambda f, _written: _local(_century(f[0]), *map(int, f[1:6]), None),
    "access": lambda f, _written: _seconds(
        int(f[2]), _MONTHS[f[1]], int(f[0]), int(f[3]), int(f[4]), int(f[5]), _zone(f[6])
    ),
    "ctime": lambda f, _written: _local(int(f[6]), _MONTHS[f[0]], *map(int, f[1:5]), f[5]),
    "day_month": lambda f, _written: _local(int(f[2]), _MONTHS[f[1]], int(f[0]), *map(int, f[3:6]), f[6]),
    "journal": lambda f, _written: int(f[0]) / 1_000_000,
    "epoch": lambda f, _written: float(f[0]) / 1000 if len(f[0]) == 13 else float(f[0]),
    "syslog": lambda f, written: _local(_year_of(_MONTHS[f[0]], written), _MONTHS[f[0]], *map(int, f[1:5]), None),
    "logcat": lambda f, written: _local(_year_of(int(f[0]), written), *map(int, f[0:5]), f[5]),
}


def _stamped(fd: int, offset: int, length: int, written: float) -> Iterator[tuple[float, int]]:
    """(time, start) of each stamped complete line starting after ``offset`` (at it, for 0) in ``length`` bytes.

    ``written``: the file's last write, the year of stamps without one.
    """
    data = os.pread(fd, length, offset)
    start = 0 if offset == 0 else data.find(b"\n") + 1
    if offset and not start:
        return  # the bytes end inside one line
    while (end := data.find(b"\n", start)) >= 0:
        stamp = time_of(data[start : min(end, start + HEAD)].decode("utf-8", "replace"), written)
        if stamp is not None:
            yield stamp, offset + start
        start = end + 1


def at_first_stamp(path: str, start: int) -> bool:
    """Whether the line at ``start`` is at or before the first stamped line of ``path``, a stamp in its first
    blocks (past them, it is not: they are read only when ``start`` is among them)."""
    if start > 2 * BLOCK:
        return False
    with open_log(path) as fh:
        info = os.fstat(fh.fileno())
        first = next((found for _stamp, found in _stamped(fh.fileno(), 0, 2 * BLOCK, info.st_mtime)), None)
        return first is not None and start <= first


def first_at_or_after(path: str, moment: float) -> int:
    """The start of the first line stamped at or after ``moment``: 0 before the first, the end after the last."""
    with open_log(path) as fh:
        info = os.fstat(fh.fileno())
        fd, size, written = fh.fileno(), info.st_size, info.st_mtime
        low, high = 0, size  # the answer lies in [low, high]
        while high - low > BLOCK:
            middle = (low + high) // 2
            found = next(_stamped(fd, middle, BLOCK, written), None)
            if found is not None and found[0] < moment:
                low = found[1]
            else:
                high = middle
        # The answer is in the block after `low`: its lines in turn.
        return next((start for stamp, start in _stamped(fd, low, 2 * BLOCK, written) if stamp >= moment), size)
