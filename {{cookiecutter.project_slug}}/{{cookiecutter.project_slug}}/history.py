"""Lines read back from a position: ``<at>`` parsing, the file that holds it, byte-range reads.

Nothing here scans a file from its start: a read goes backwards or forwards
from a position in blocks, so 200 lines cost the same near the start of a
1 GB file as at the end of a 1 MB one. A position outlives rotation: a cursor
names its file by inode and checks the bytes before its anchor, so the line is
found in the rotated sibling (renamed, or a copytruncate copy) while that exists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import family
from .cursor import Cursor, fingerprint_at
from .family import open_log
from .moments import parse_moment
from .refused import Refused
from .text import decode_lines

BLOCK = 64 * 1024
ONE_READ = 1024 * 1024  # lines spanning more than this are read one by one, each only as far as it is kept
START = "start"


class AtRefused(Refused):
    """An ``<at>`` that cannot be served: 400 (malformed, foreign, out of range) or 410 (gone)."""


At = Cursor | int | float | str  # a line position or event id, a byte offset, a time (epoch seconds), or START


def parse_at(text: str) -> At:
    """A ``data-at`` value (or event id), a decimal byte offset, an ISO 8601 time, or ``start``.

    ``AtRefused(400)`` for anything else.
    """
    text = text.strip()
    if text == START:
        return START
    if text.isdigit() and text.isascii():
        return int(text)
    moment = parse_moment(text)
    if moment is not None:
        return moment
    try:
        return Cursor.decode(text)
    except ValueError:
        raise AtRefused(
            400,
            f"{text[:80]!r} is not a line position: expected a data-at value, a byte offset,"
            " a time (2026-11-25T03:00:00) or 'start'",
        ) from None


@dataclass
class Lines:
    """Complete lines read back from one file: their text and starts, a checked anchor, and the file's edges."""

    path: str  # the file that held them: the log or one of its rotated siblings
    lines: list[str]
    starts: list[int]
    anchor: Cursor
    at_first: bool  # the first line is the file's first line
    at_last: bool  # the last line is the file's last complete line


def locate(log: Path, at: At) -> tuple[str, int]:
    """The file holding ``at`` (the log or a rotated sibling) and the start of the line there (a time:
    ``readback.at_time``)."""
    if at == START:
        return str(log), 0
    if isinstance(at, int):
        size = os.stat(log).st_size
        if at > size:
            raise AtRefused(400, f"byte offset {at} is past the end of the file ({size} bytes)")
        return str(log), _line_start(str(log), at)
    assert isinstance(at, Cursor)
    member = family.holding(log, at)
    if member and member.compression:
        return member.path, at.position  # a line's start, or the end of an event's last line: read it unpacked
    if member:
        return member.path, _line_start(member.path, at.position)
    own = [member for member in family.members(log) if member.inode == at.inode and not member.compression]
    if own and os.stat(own[0].path).st_size < at.offset:
        # Truncated below the position and no copy kept: the nearest line that still exists, its last.
        path = own[0].path
        return path, _line_start(path, max(0, os.stat(path).st_size - 1))
    foreign = _other_file_with_inode(log, at.inode)
    if foreign:
        raise AtRefused(400, f"that position belongs to another file ({foreign}), not to {log.name}")
    raise AtRefused(410, f"that line is gone: {log.name} was rotated or rewritten since, and no rotated copy holds it")


def _other_file_with_inode(log: Path, inode: int) -> str | None:
    siblings = {member.path for member in family.siblings(log)}
    try:
        with os.scandir(log.parent) as entries:
            return next(
                (
                    entry.name
                    for entry in entries
                    if entry.inode() == inode and entry.path not in siblings and entry.name != log.name
                ),
                None,
            )
    except OSError:
        return None


def _line_start(path: str, offset: int) -> int:
    """The start of the line holding ``offset`` (``offset`` itself when a line starts there)."""
    with open_log(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        offset = min(offset, size)
        if offset == 0:
            return 0
        newlines = _newlines_before(fh.fileno(), offset, 1)
        return newlines[0] + 1 if newlines else 0


def _newlines_before(fd: int, end: int, count: int) -> list[int]:
    """Offsets of up to ``count`` newlines before ``end``, nearest first, reading backwards in blocks."""
    found: list[int] = []
    position = end
    while position > 0 and len(found) < count:
        start = max(0, position - BLOCK)
        block = os.pread(fd, position - start, start)
        at = len(block)
        while len(found) < count:
            at = block.rfind(b"\n", 0, at)
            if at < 0:
                break
            found.append(start + at)
        position = start
    return found


def _newlines_from(fd: int, start: int, size: int, count: int) -> list[int]:
    """Offsets of up to ``count`` newlines at or after ``start``, in order, reading forwards in blocks."""
    found: list[int] = []
    position = start
    while position < size and len(found) < count:
        block = os.pread(fd, min(BLOCK, size - position), position)
        if not block:
            break
        at = -1
        while len(found) < count:
            at = block.find(b"\n", at + 1)
            if at < 0:
                break
            found.append(position + at)
        position += len(block)
    return found


def read_before(path: str, position: int, limit: int, max_line_length: int, identity: int | None = None) -> Lines:
    """Up to ``limit`` complete lines ending just before the line starting at ``position``.

    ``identity``: the inode the lines' positions name, when ``path`` is another file's plain copy (``unpacked``).
    """
    with open_log(path) as fh:
        fd = fh.fileno()
        newlines = _newlines_before(fd, position, limit + 1)  # the one before position ends the last line
        if position == 0 or not newlines:
            return _lines(path, fd, [], max_line_length, True, False, identity)
        ends = newlines[:limit][::-1]
        first = newlines[limit] + 1 if len(newlines) > limit else 0
        starts = [first] + [end + 1 for end in ends[:-1]]
        return _lines(path, fd, list(zip(starts, ends, strict=True)), max_line_length, first == 0, False, identity)


def read_last(path: str, limit: int, max_line_length: int, identity: int | None = None) -> Lines:
    """The file's last ``limit`` complete lines (a line still being written is not one)."""
    with open_log(path) as fh:
        last = _newlines_before(fh.fileno(), os.fstat(fh.fileno()).st_size, 1)
    lines = read_before(path, last[0] + 1 if last else 0, limit, max_line_length, identity)
    lines.at_last = True
    return lines


def read_from(path: str, position: int, limit: int, max_line_length: int, identity: int | None = None) -> Lines:
    """Up to ``limit`` complete lines starting with the line at ``position``."""
    with open_log(path) as fh:
        fd = fh.fileno()
        newlines = _newlines_from(fd, position, os.fstat(fd).st_size, limit + 1)
        ends = newlines[:limit]
        starts = [position] + [end + 1 for end in ends[:-1]]
        spans = list(zip(starts, ends, strict=True)) if ends else []
        return _lines(path, fd, spans, max_line_length, position == 0, len(newlines) <= limit, identity)


def _lines(
    path: str,
    fd: int,
    spans: list[tuple[int, int]],
    max_line_length: int,
    at_first: bool,
    at_last: bool,
    identity: int | None,
) -> Lines:
    """Decode the lines at ``spans`` (start, end before the newline), anchored just past the last one."""
    low, high = (spans[0][0], spans[-1][1]) if spans else (0, 0)
    anchor = high + 1 if spans else 0
    checked = Cursor(identity or os.fstat(fd).st_ino, anchor, fingerprint_at(fd, anchor))
    if not spans:
        return Lines(path, [], [], checked, at_first, at_last)
    if high - low <= ONE_READ:
        data = os.pread(fd, high - low, low)
        lines = decode_lines(data, max_line_length)
    else:  # a few very long lines: read each only as far as it is kept (4 bytes a character at most)
        keep = 4 * max_line_length + 4
        lines = [decode_lines(os.pread(fd, min(end - start, keep), start), max_line_length)[0] for start, end in spans]
    return Lines(path, lines, [start for start, _end in spans], checked, at_first, at_last)
