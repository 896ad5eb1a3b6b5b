"""Read complete lines after a cursor and follow the file through rotation.

pygtail (GPL-2.0, by Brad Greenlee) does the following: it keeps the offset
file, finds the rotated file a cursor points into, and moves from a rotated
file to the new one. ``_Pygtail`` subclasses it where it falls short of what
the viewer needs:

* it opens files in text mode, so ``tell()`` is an opaque cookie and invalid
  UTF-8 raises; we open unbuffered binary files, so offsets are byte offsets,
  and we decode with ``errors="replace"``;
* it reads line by line; we read blocks, for throughput;
* it sees copytruncate only when a new instance reads the offset file; the
  ``Tailer`` notices the shrink and makes that new instance;
* it writes ``<log>.offset`` beside the log; the offset file goes to the
  state directory instead (one per stream, removed when the stream ends);
* it crashes when the log is missing between rotation steps (that is "not
  yet" here), and never leaves a rotated file that ends in half a line;
* it recognises only known rotated names; a file renamed to any name in the
  same directory is also found by its inode, and a copytruncate copy must
  match the cursor's fingerprint;
* after a rotated file it jumps to the log itself, skipping every file rotated
  in between (a storm of rotations between two reads); we move to the next
  rotated sibling in the order they were written (``next_in_rotation``), and
  only once the file we hold has been quiet for ``rotate_wait`` seconds (its
  writer may still be appending to it under its new name, as log shippers know);
  each file seen at the log's name meanwhile is held open (deleted before the
  stream gets to it, it is still read, and the wait ends then: its lines are
  held nowhere else), and a deleted file is left at once, as no name leads back to it.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import itertools
import os
import re
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from isal import igzip, isal_zlib
from pygtail import Pygtail

from .cursor import FINGERPRINT_BYTES, Cursor, fingerprint, fingerprint_at
from .state import new_offset_file

BACKLOG_MAX_BYTES = 8 * 1024 * 1024
MAX_AHEAD = 16  # files held open at most, per stream, while it reads an older one
CUT_MARKER = " [… line cut at {limit} characters]"
# What follows a log's name in a rotated sibling: app.log.1, app.log-20240101, app.log.2024-01-01_10.
_ROTATION_SUFFIX = re.compile(r"[.\-_](\d[\d.\-_]*)")


class Chunk(NamedTuple):
    """Whole lines as read: ``data`` holds them joined by newlines (none after the last); the first starts at
    byte ``start``. A ``cut`` chunk is the first part of one line longer than the limit."""

    start: int
    data: bytes
    cut: bool = False

    def lines(self, max_line_length: int) -> list[str]:
        if self.cut:
            return [cut(self.data.decode("utf-8", "replace"), max_line_length)]
        return decode_lines(self.data, max_line_length)

    def starts(self) -> list[int]:
        return [self.start] if self.cut else line_starts(self.data, self.start)


@dataclass
class Batch:
    """What one read found: chunks of whole lines, notices, and the cursor after them.

    The lines of a batch come from one file, and ``anchor`` is the checked
    place just past them (``cursor.positions``). They stay bytes until asked
    for: ``lines`` (decoded, long ones cut) and ``starts`` (their byte offsets),
    or in bulk (``sse.ascii_stream_event``).
    """

    chunks: list[Chunk] = field(default_factory=list)
    anchor: Cursor | None = None
    notices: list[str] = field(default_factory=list)
    cursor: Cursor | None = None
    more: bool = False  # the read stopped at its byte budget, not at the end of the data
    max_line_length: int = 0

    @cached_property
    def lines(self) -> list[str]:
        return [line for chunk in self.chunks for line in chunk.lines(self.max_line_length)]

    @cached_property
    def starts(self) -> list[int]:
        return [start for chunk in self.chunks for start in chunk.starts()]


class _Pygtail(Pygtail):
    """pygtail on binary files with a fingerprint-checked idea of rotation."""

    def __init__(self, filename: str, offset_file: str, fingerprint: int) -> None:
        self.fingerprint = fingerprint
        super().__init__(filename, offset_file=offset_file, copytruncate=True, save_on_end=False)
        if self.rotated_logfile is None and self.offset and self._rewritten_in_place():
            self.rotated_logfile = self._determine_rotated_logfile()
            if self.rotated_logfile is None:
                self.offset = 0

    def _rewritten_in_place(self) -> bool:
        """Same inode and long enough, but other bytes before the offset."""
        try:
            with open_log(self.filename) as fh:
                same_inode = os.fstat(fh.fileno()).st_ino == self.offset_file_inode
                return same_inode and fingerprint_at(fh.fileno(), self.offset) != self.fingerprint
        except FileNotFoundError:
            return False

    def __del__(self) -> None:
        # pygtail's own __del__ calls _filehandle(), which reopens a closed file.
        if self.fh and not self.fh.closed:
            self.fh.close()

    def _filehandle(self):
        if not self.fh or self.fh.closed:
            self._counter += 1
            filename = self.rotated_logfile or self.filename
            # Held open across reads, as pygtail does; closed by Tailer.close().
            if filename.endswith(".gz"):
                open_log(filename).close()  # refuses a FIFO before gzip would wait on it
                self.fh = igzip.open(filename, "rb")
            else:
                self.fh = open_log(filename)
            self.fh.seek(self.offset)
        return self.fh

    def moved_on(self, held: os.stat_result) -> bool:
        """Whether the file held is done with: a rotated sibling, or no longer the file at the log's name.

        pygtail's ``_is_new_file`` also wants the read position at the end of the
        file, so a rotated file ending in half a line (its writer died) was never
        left; here the half line is the last line of that file.
        """
        if self.rotated_logfile:
            return True
        try:
            return os.stat(self.filename).st_ino != held.st_ino
        except FileNotFoundError:
            return False  # between the steps of a rotation: not yet

    def _determine_rotated_logfile(self) -> str | None:
        # The inode alone could name another log of the directory: the bytes before the offset must match too.
        renamed = self._sibling_with_inode(self.offset_file_inode)
        if renamed and self._copy_matches(renamed):
            return renamed
        candidate = super()._determine_rotated_logfile()
        if candidate and self._copy_matches(candidate):
            return candidate
        return self._copy_by_fingerprint()

    def _copy_by_fingerprint(self) -> str | None:
        """The rotated sibling holding the cursor's bytes at its offset: a copytruncate copy shifted
        further since (``app.log.2``), or a file compressed before we came back (``app.log.1.gz``).

        Plain files first, then compressed ones (each decompressed up to the cursor), newest first.
        """
        found = sorted(
            (entry.name.endswith(".gz"), -entry.stat().st_mtime_ns, entry.path)
            for entry in rotated_siblings(self.filename)
        )
        return next((path for *_, path in found if self._copy_matches(path)), None)

    def _sibling_with_inode(self, inode: int) -> str | None:
        """The rotated sibling that is the file ``inode``.

        Only rotated siblings: a cursor of another log in the same directory is not this file's.
        """
        return next((entry.path for entry in rotated_siblings(self.filename) if entry.inode() == inode), None)

    def next_in_rotation(self, held: int) -> str | None:
        """The rotated sibling written next after the open file ``held``; None when the log itself is next.

        Rotated files are ordered by their last write (``st_mtime_ns``); files
        with equal times by their names' numbers (``.3`` is older than ``.2``,
        ``-20240102`` newer than ``-20240101``). Compressed copies are not
        followed: they repeat a file already read.
        """
        info = os.fstat(held)
        name = os.path.basename(self.filename)
        family, held_key = [], (info.st_mtime_ns, float("-inf"))
        for entry in rotated_siblings(self.filename, compressed=False):
            key = (entry.stat(follow_symlinks=False).st_mtime_ns, _rotation_rank(entry.name[len(name) :]))
            if entry.inode() == info.st_ino:
                held_key = key
            else:
                family.append((key, entry.path))
        later = [(key, path) for key, path in family if key > held_key]
        return min(later)[1] if later else None

    def _copy_matches(self, candidate: str) -> bool:
        return holds(candidate, self.offset, self.fingerprint)


def holds(candidate: str, offset: int, expected: int) -> bool:
    """Whether ``candidate`` has bytes of fingerprint ``expected`` just before ``offset`` (decompressed for ``.gz``)."""
    try:
        with open_log(candidate) as fh:
            if not candidate.endswith(".gz"):
                return fingerprint_at(fh.fileno(), offset) == expected
            start = max(0, offset - FINGERPRINT_BYTES)
            with igzip.IGzipFile(fileobj=fh) as unpacked:  # ISA-L: 100 MB in about 30 ms, 4x zlib
                unpacked.seek(start)
                before = unpacked.read(offset - start)
            return len(before) == offset - start and fingerprint(before) == expected
    except (OSError, EOFError, isal_zlib.error):  # a .gz still being written, or corrupt
        return False


def rotated_siblings(log: str | os.PathLike, compressed: bool = True) -> list[os.DirEntry]:
    """The regular files beside ``log`` named as its rotations (``app.log.1``, ``app.log-20261124``, ...)."""
    directory, name = os.path.split(log)
    try:
        with os.scandir(directory or ".") as entries:
            return [
                entry
                for entry in entries
                if is_rotated_name(entry.name, name, compressed) and entry.is_file(follow_symlinks=False)
            ]
    except OSError:
        return []


def open_log(path: str | os.PathLike) -> io.FileIO:
    """An unbuffered binary file, opened without blocking: a FIFO (or any non-regular file) is refused.

    ``open()`` of a FIFO waits for a writer, which would freeze every greenlet of the worker.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotRegularFile(errno.EINVAL, "not a regular file", str(path))
    return io.FileIO(fd, "rb")


class NotRegularFile(OSError):
    """A log name that leads to a FIFO, a device or a directory."""


def is_rotated_name(candidate: str, log_name: str, compressed: bool = True) -> bool:
    """Whether ``candidate`` names a rotated sibling of ``log_name`` (``.gz`` ones too, if ``compressed``)."""
    if compressed:
        candidate = candidate.removesuffix(".gz")
    return candidate.startswith(log_name) and bool(_ROTATION_SUFFIX.fullmatch(candidate[len(log_name) :]))


def _rotation_rank(suffix: str) -> float:
    """Higher is newer: ``.1`` after ``.2`` (a count of rotations), ``-20240102`` after ``-20240101`` (a date)."""
    digits = "".join(ch for ch in suffix if ch.isdigit())
    return -int(digits) if len(digits) < 6 else int(digits)


def line_starts(data: bytes, base: int) -> list[int]:
    """The offsets where the lines of ``data`` (lines joined by newlines, none after the last) begin."""
    lengths = map((1).__add__, map(len, data.split(b"\n")))  # each line's length and its newline, in C
    return list(itertools.accumulate(lengths, initial=base))[:-1]


def backlog_start(fd: int, size: int, lines: int) -> int:
    """Offset where the last ``lines`` complete lines begin, reading backwards in blocks."""
    floor = max(0, size - BACKLOG_MAX_BYTES)
    position, newlines = size, []
    while position > floor and len(newlines) <= lines:
        start = max(floor, position - 64 * 1024)
        block = os.pread(fd, position - start, start)
        at = len(block)
        while len(newlines) <= lines:
            at = block.rfind(b"\n", 0, at)
            if at < 0:
                break
            newlines.append(start + at)
        position = start
    if len(newlines) > lines:
        return newlines[lines] + 1
    return 0 if floor == 0 else (newlines[-1] + 1 if newlines else size)


class Tailer:
    """Complete lines of one log file after a cursor, through rotation and truncation.

    ``guard(path)`` is asked before a new file is opened under the log's name,
    so a name that turns into a symlink to elsewhere is not followed.
    """

    def __init__(
        self,
        path: Path,
        state_directory: Path,
        cursor: Cursor | None,
        backlog_lines: int,
        max_line_length: int,
        batch_bytes: int,
        rotate_wait: float,
        guard: Callable[[Path], bool],
    ) -> None:
        self.path = path
        self.max_line_length = max_line_length
        self.batch_bytes = batch_bytes
        self.rotate_wait = rotate_wait
        self.wake_in: float | None = None  # read again this soon though nothing changes (draining)
        self.guard = guard
        self._skipping = False
        self._missing = False
        self._last: Cursor | None = None  # where the last read ended
        self._ended: Cursor | None = None  # the end of a file this read moved on from
        self._refused = False
        self._ahead: dict[int, io.FileIO] = {}  # files seen at the log's name while reading an older one
        self.offset_file = new_offset_file(state_directory)
        self._pending: list[str] = []  # notices for the first read
        if cursor is None:
            cursor = self._backlog_cursor(backlog_lines)
        self._open(cursor)
        if not self._placed(cursor):
            self._pending.append("reset")  # not this file's cursor, or its lines are gone: from the start

    def _placed(self, cursor: Cursor) -> bool:
        """Whether reading starts where ``cursor`` says, in this file or a rotated sibling or copy of it."""
        if self._tail.offset != cursor.offset:
            return False
        return bool(self._tail.rotated_logfile) or os.fstat(self._tail._filehandle().fileno()).st_ino == cursor.inode

    def _backlog_cursor(self, lines: int) -> Cursor:
        with open_log(self.path) as fh:
            info = os.fstat(fh.fileno())
            start = backlog_start(fh.fileno(), info.st_size, lines)
            return Cursor(info.st_ino, start, fingerprint_at(fh.fileno(), start))

    def _open(self, cursor: Cursor) -> None:
        with open(self.offset_file, "w") as fh:
            fh.write(f"{cursor.inode}\n{cursor.offset}\n")
        self._tail = _Pygtail(str(self.path), self.offset_file, cursor.fingerprint)
        # The bytes before where pygtail starts (0 when it could not find the cursor's place).
        fh, offset = self._tail._filehandle(), self._tail.offset
        start = max(0, offset - FINGERPRINT_BYTES)
        self._recent = b"" if isinstance(fh, gzip.GzipFile) else os.pread(fh.fileno(), offset - start, start)

    def _consume(self, data: bytes) -> None:
        """Remember the last bytes read: the cursor's fingerprint is theirs."""
        self._recent = (self._recent + data[-FINGERPRINT_BYTES:])[-FINGERPRINT_BYTES:]

    def close(self) -> None:
        if self._tail.fh and not self._tail.fh.closed:
            self._tail.fh.close()
        for ahead in self._ahead.values():
            ahead.close()
        Path(self.offset_file).unlink(missing_ok=True)

    def _after(self, fh: io.FileIO) -> Cursor:
        """The cursor just past what was read from ``fh``: the anchor of the lines read so far."""
        return Cursor(os.fstat(fh.fileno()).st_ino, fh.tell(), fingerprint(self._recent))

    def cursor(self) -> Cursor:
        fh = self._tail._filehandle()
        return Cursor(os.fstat(fh.fileno()).st_ino, fh.tell(), fingerprint(self._recent))

    def stale(self, current: os.stat_result | None) -> bool:
        """Whether a read may find something: bytes past the cursor, or another file at the path.

        ``current`` is the path's ``stat`` (None: missing), taken once per tick
        by the file's watcher for all its streams: the stream's safety net, so
        a missed wake costs one tick and an idle stream no system call.
        """
        fh, last = self._tail.fh, self._last
        if fh is None or fh.closed or self._tail.rotated_logfile or isinstance(fh, gzip.GzipFile) or last is None:
            return True
        if current is None:
            return not self._missing
        return self._missing or current.st_ino != last.inode or current.st_size != last.offset

    def read(self) -> Batch:
        """Complete lines from the cursor on, up to about ``batch_bytes``.

        A read ends at a notice (rotated, truncated, missing, refused), so the
        lines before it and after it travel in separate batches.
        """
        if self._pending:  # a notice about where this stream starts goes out before any line
            batch, self._pending = Batch(notices=self._pending), []
            batch.cursor = self._last = self.cursor()
            return batch
        batch = Batch(max_line_length=self.max_line_length)
        self.wake_in = None
        if self._rewritten():
            batch.notices.append("truncated")
            batch.cursor = self._last = self.cursor()
            return batch
        consumed = 0
        while consumed < self.batch_bytes and not self._refused:
            try:
                fh = self._tail._filehandle()
            except NotRegularFile:
                self._refuse(batch)
                break
            start = fh.tell()
            block = self._read_block(fh)
            consumed += len(block)
            if self._skipping:
                newline = block.find(b"\n")
                if newline >= 0:
                    self._skipping = False
                    fh.seek(start + newline + 1)
                    block = block[: newline + 1]
                self._consume(block)
                if block:
                    continue
            end = block.rfind(b"\n")
            if end >= 0 and not self._skipping:
                fh.seek(start + end + 1)
                self._consume(block[: end + 1])
                batch.chunks.append(Chunk(start, block[:end]))
                batch.anchor = self._after(fh)
                continue
            if len(block) > self.max_line_length:
                batch.chunks.append(Chunk(start, block, cut=True))
                self._consume(block)
                batch.anchor = self._after(fh)
                self._skipping = True
                continue
            fh.seek(start)
            if not self._follow(fh, start, block, batch) or batch.notices:
                break
        else:
            batch.more = not self._refused
        if not self._refused:  # a refused name has no position: the last one stands
            try:
                self._last = self._ended or self.cursor()
            except NotRegularFile:
                self._refuse(batch)
        self._ended = None
        batch.cursor = self._last
        return batch

    def _rewritten(self) -> bool:
        """Truncated and written again past our position since the last read (copytruncate, then a burst).

        Size alone cannot tell; the bytes just before our position can (one 64-byte ``pread``).
        When they changed, pygtail is made anew at the cursor, and finds the copy by its fingerprint.
        """
        fh = self._tail.fh
        if fh is None or fh.closed or self._tail.rotated_logfile or isinstance(fh, gzip.GzipFile):
            return False
        offset = fh.tell()
        if offset == 0 or fingerprint_at(fh.fileno(), offset) == fingerprint(self._recent):
            return False
        self._reopen(Cursor(os.fstat(fh.fileno()).st_ino, offset, fingerprint(self._recent)))
        return True

    def _refuse(self, batch: Batch) -> None:
        """The name now leads to a FIFO or the like: never wait on it, end the stream."""
        self._refused = True
        batch.notices.append("refused")

    def _follow(self, fh, offset: int, partial: bytes, batch: Batch) -> bool:
        """At the end of the data: move on through rotation or truncation if one happened."""
        info = os.fstat(fh.fileno())
        if self._tail.rotated_logfile is None and info.st_size < offset:
            batch.notices.append("truncated")
            self._reopen(Cursor(info.st_ino, offset, fingerprint(self._recent)))
            return True
        if self._tail.moved_on(info):
            deleted = info.st_nlink == 0
            quiet_for = time.time() - info.st_mtime
            self._hold_ahead(info.st_ino)
            gone = self._gone_ahead()
            # Its writer may not have reopened the log yet: drain on, unless a file after it is only held here.
            if quiet_for < self.rotate_wait and not deleted and not gone:
                self.wake_in = self.rotate_wait - quiet_for
                return False
            following, ready = self._next_file(fh.fileno(), gone)
            if following is None and not self.guard(self.path):
                if ready:
                    ready.close()
                self._refuse(batch)
                return False
            if partial:
                batch.chunks.append(Chunk(offset, partial))
                self._consume(partial)
            # The batch's cursor is the end of this file, not the start of the next: offset 0 has no
            # bytes to check, so a resume there could not tell the next file was copytruncated since.
            # A deleted file cannot be found again, though: its cursor is the next file's start.
            end = Cursor(info.st_ino, offset + len(partial), fingerprint(self._recent))
            self._ended = None if deleted else end
            if partial:
                batch.anchor = end
            self._tail.rotated_logfile = following
            fh.close()
            self._tail.fh = ready  # None: opened by name at the next read
            self._tail.offset = 0
            self._recent = b""
            self._missing = False
            batch.notices.append("rotated")
            return True
        missing = not self.path.exists()
        if missing and not self._missing:
            batch.notices.append("missing")
        self._missing = missing
        return False

    def _hold_ahead(self, held: int) -> None:
        """Hold open the file now at the log's name while an older one (``held``) is still read.

        Deleted before the stream gets to it (delete-and-recreate while a rotated
        file drains), its lines can still be read from the descriptor.
        """
        with contextlib.suppress(OSError):  # not there (between a rotation's steps), or refused: moving on says
            if len(self._ahead) >= MAX_AHEAD or os.stat(self.path).st_ino in (held, *self._ahead):
                return
            if not self.guard(self.path):
                return
            current = open_log(self.path)
            inode = os.fstat(current.fileno()).st_ino
            if inode == held or inode in self._ahead:  # replaced between the two looks
                current.close()
            else:
                self._ahead[inode] = current

    def _gone_ahead(self) -> list[tuple[int, int]]:
        """The held files deleted since, as (last write, inode): their lines exist only here."""
        found = ((os.fstat(ahead.fileno()), inode) for inode, ahead in self._ahead.items())
        return [(info.st_mtime_ns, inode) for info, inode in found if info.st_nlink == 0]

    def _next_file(self, held: int, gone: list[tuple[int, int]]) -> tuple[str | None, io.FileIO | None]:
        """The file to read after ``held`` (None: the log itself), and that file already open if it was held.

        By name, the next rotated sibling in the order of writing; but a held file
        deleted since (``gone``) comes first when it was written before that one.
        """
        following = self._tail.next_in_rotation(held)
        try:
            by_name = os.stat(following or self.path)
        except OSError:
            by_name = None
        if gone and (by_name is None or min(gone)[0] <= by_name.st_mtime_ns):
            return following, self._ahead.pop(min(gone)[1])
        return following, self._ahead.pop(by_name.st_ino, None) if by_name else None

    def _reopen(self, cursor: Cursor) -> None:
        """A new pygtail instance, which looks for the copy of a truncated file."""
        self._tail.fh.close()
        self._open(cursor)

    def _read_block(self, fh) -> bytes:
        """Up to ``batch_bytes``; more, up to one line of the longest kept length, when no line ends in it."""
        block = fh.read(self.batch_bytes)
        if len(block) == self.batch_bytes and b"\n" not in block and self.batch_bytes <= self.max_line_length:
            block += fh.read(self.max_line_length + 1 - len(block))
        return block


def decode_lines(data: bytes, max_line_length: int) -> list[str]:
    """The lines of ``data`` (joined by newlines, none after the last): invalid UTF-8 replaced, long ones cut."""
    # ``data`` ends where a newline was cut off, so a final CR belonged to a CRLF.
    text = data.decode("utf-8", "replace").replace("\r\n", "\n").removesuffix("\r")
    lines = text.split("\n")
    if max(map(len, lines)) > max_line_length:
        lines = [cut(line, max_line_length) if len(line) > max_line_length else line for line in lines]
    return lines


def cut(line: str, max_line_length: int) -> str:
    """``line`` cut at ``max_line_length`` characters, with a visible marker."""
    return line[:max_line_length] + CUT_MARKER.format(limit=max_line_length)
