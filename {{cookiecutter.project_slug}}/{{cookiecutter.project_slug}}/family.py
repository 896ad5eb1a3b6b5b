"""A log's family: the live file and its rotated siblings, plain or compressed, in the order they were written.

This is the one model of a log's files that the stream, history and search
share. A sibling is named as the rotation named it: the log's name, a
separator and a number (``app.log.1``: higher is older) or a date
(``app.log-20261204``, ``app.log.2026-12-04_10``), and maybe a compression
suffix (``.gz``, ``.bz2``, ``.xz``, ``.zst``: logrotate's ``compressext``).
The order is the names' (what the rotation itself guarantees at every step
of its renames), then the last write; a family whose names mix numbers and
dates is ordered by last write alone. While a sibling is being compressed both
``app.log.2`` and ``app.log.2.gz`` exist: the plain one is the member until the
compressor removes it.

A member is opened without blocking (a FIFO is refused), and a compressed one
is read through its decompressor: ISA-L for gzip, Python's ``bz2`` and
``lzma``, and ``zstandard`` for zstd.
"""

from __future__ import annotations

import bz2
import errno
import io
import lzma
import os
import re
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import zstandard
from isal import igzip, igzip_lib

from .cursor import FINGERPRINT_BYTES, Cursor, fingerprint, fingerprint_at

# What opens each compression's stream, from an open binary file (closed with it: no context manager).
_DECOMPRESSORS: dict[str, Callable[[BinaryIO], BinaryIO]] = {
    ".gz": lambda raw: igzip.IGzipFile(fileobj=raw),  # ISA-L: about 4x zlib
    ".bz2": lambda raw: bz2.BZ2File(raw),
    ".xz": lambda raw: lzma.LZMAFile(raw),  # noqa: SIM115
    ".zst": lambda raw: zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True),
}
COMPRESSIONS = tuple(_DECOMPRESSORS)
# The same decompressors as programs, standard input to standard output, for a search's ripgrep to read.
_COPY = "import shutil, sys; shutil.copyfileobj({}, sys.stdout.buffer, 1 << 20)"
UNPACK_COMMANDS: dict[str, list[str]] = {
    ".gz": [sys.executable, "-I", "-m", "isal.igzip", "-dc"],
    ".bz2": [sys.executable, "-I", "-c", "import bz2; " + _COPY.format("bz2.BZ2File(sys.stdin.buffer)")],
    ".xz": [sys.executable, "-I", "-c", "import lzma; " + _COPY.format("lzma.LZMAFile(sys.stdin.buffer)")],
    ".zst": [
        sys.executable,
        "-I",
        "-c",
        "import zstandard; "
        + _COPY.format("zstandard.ZstdDecompressor().stream_reader(sys.stdin.buffer, read_across_frames=True)"),
    ],
}
# Errors a compressed member that is corrupt, or still being written, raises when read.
DECOMPRESSION_ERRORS = (OSError, EOFError, ValueError, lzma.LZMAError, zstandard.ZstdError, igzip_lib.IsalError)
# What follows a log's name in a rotated sibling: app.log.1, app.log-20240101, app.log.2024-01-01_10.
_ROTATION_SUFFIX = re.compile(r"[.\-_](\d[\d.\-_]*)")
LISTINGS = 3  # times a family is listed again when a rotation renamed a file while it was looked at
COPY_SLACK_NS = 5 * 10**9  # a compressed copy's last write is within this of its original's
_DATE_DIGITS = 6  # a suffix of this many digits or more is a date (or a time), fewer a count of rotations


class NotRegularFile(OSError):
    """A log name that leads to a FIFO, a device or a directory."""


@dataclass(frozen=True)
class Member:
    """One file of a family, as it was when the family was listed."""

    path: str
    compression: str  # one of COMPRESSIONS, or "" for a plain file
    inode: int
    mtime_ns: int
    live: bool  # the file at the log's own name


def compression_of(path: str | os.PathLike) -> str:
    """The compression a file's name says it has (``.gz``, ...), or ``""``."""
    return next((suffix for suffix in COMPRESSIONS if os.fspath(path).endswith(suffix)), "")


def is_rotated_name(candidate: str, log_name: str) -> bool:
    """Whether ``candidate`` names a rotated sibling of ``log_name``, plain or compressed."""
    stem = candidate.removesuffix(compression_of(candidate))
    return stem.startswith(log_name) and bool(_ROTATION_SUFFIX.fullmatch(stem[len(log_name) :]))


def _rotation_digits(name: str, log_name: str) -> str:
    stem = name.removesuffix(compression_of(name))
    return "".join(ch for ch in stem[len(log_name) :] if ch.isdigit())


def members(log: str | os.PathLike) -> list[Member]:
    """The family of ``log``: its rotated siblings oldest first, then the log itself (when it exists)."""
    log = os.fspath(log)
    directory, name = os.path.split(log)
    found: dict[str, Member] = {}  # by the name without its compression suffix: a plain file wins
    digits: dict[str, str] = {}
    live = None
    try:
        with os.scandir(directory or ".") as entries:
            for entry in entries:
                if entry.name != name and not is_rotated_name(entry.name, name):
                    continue
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue  # gone since the listing
                compression = compression_of(entry.name)
                member = Member(entry.path, compression, info.st_ino, info.st_mtime_ns, entry.name == name)
                if member.live:
                    live = member
                    continue
                stem = entry.name.removesuffix(compression)
                if stem not in found or not compression:
                    found[stem] = member
                    digits[stem] = _rotation_digits(entry.name, name)
    except OSError:
        return []
    dated = {len(value) >= _DATE_DIGITS for value in digits.values()}
    if len(dated) > 1:  # numbers and dates: the names cannot say which came first
        order = sorted(found, key=lambda stem: (found[stem].mtime_ns, stem))
    elif dated == {True}:
        order = sorted(found, key=lambda stem: (int(digits[stem]), found[stem].mtime_ns))
    else:
        order = sorted(found, key=lambda stem: (-int(digits[stem]), found[stem].mtime_ns))
    return [found[stem] for stem in order] + ([live] if live else [])


def siblings(log: str | os.PathLike) -> list[Member]:
    """The rotated siblings of ``log``, oldest first."""
    return [member for member in members(log) if not member.live]


def open_log(path: str | os.PathLike) -> io.FileIO:
    """An unbuffered binary file, opened without blocking: a FIFO (or any non-regular file) is refused.

    ``open()`` of a FIFO waits for a writer, which would freeze every greenlet of the worker.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotRegularFile(errno.EINVAL, "not a regular file", str(path))
    return io.FileIO(fd, "rb")


class Unpacked(io.RawIOBase):
    """A compressed member read as its plain bytes: ``tell`` counts them, ``fileno`` is the compressed file's.

    The tailer reads a block and steps back to just past its last whole line:
    the last block read is kept, so that step costs no decompression from the
    start (a decompressor's backward seek starts over).
    """

    def __init__(self, raw: io.FileIO, compression: str) -> None:
        self._raw, self._compression = raw, compression
        self._stream = _DECOMPRESSORS[compression](raw)
        self._position = 0  # where the next read starts
        self._kept = b""  # the plain bytes just before the decompressor's position
        self._unpacked = 0  # how far the decompressor has gone

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._raw.fileno()

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        behind = self._unpacked - self._position  # kept bytes not yet read again
        data = self._kept[len(self._kept) - behind :] if behind else b""
        if size < 0 or len(data) < size:
            more = self._stream.read(-1 if size < 0 else size - len(data))
            self._unpacked += len(more)
            data += more
        data = data if size < 0 else data[:size]
        self._position += len(data)
        self._kept = data if self._position == self._unpacked else self._kept
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence != io.SEEK_SET:
            raise io.UnsupportedOperation("a compressed member is read forwards")
        if self._unpacked - len(self._kept) <= offset <= self._unpacked:
            self._position = offset
        elif offset > self._unpacked:
            self._position = self._unpacked
            while self._position < offset and self.read(min(offset - self._position, 1 << 20)):
                pass
        else:  # before what is kept: start over
            self._raw.seek(0)
            self._stream = _DECOMPRESSORS[self._compression](self._raw)
            self._position = self._unpacked = 0
            self._kept = b""
            self.seek(offset)
        return self._position

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
            self._raw.close()
        super().close()


def open_member(path: str | os.PathLike) -> io.RawIOBase:
    """A member's plain bytes: the file itself, or its decompressed stream (``Unpacked``)."""
    raw = open_log(path)
    compression = compression_of(path)
    return Unpacked(raw, compression) if compression else raw


def bytes_before(fh: io.RawIOBase, offset: int) -> bytes:
    """Up to ``FINGERPRINT_BYTES`` of an open member just before ``offset``; ``fh`` is left at ``offset``
    (fewer bytes when the member is shorter)."""
    start = max(0, offset - FINGERPRINT_BYTES)
    if isinstance(fh, io.FileIO):
        before = os.pread(fh.fileno(), offset - start, start)
    else:
        fh.seek(start)
        before = fh.read(offset - start)
    fh.seek(offset)
    return before


def holds(path: str | os.PathLike, offset: int, expected: int) -> bool:
    """Whether ``path`` has bytes of fingerprint ``expected`` just before ``offset`` (decompressed as needed)."""
    try:
        with open_member(path) as fh:
            if isinstance(fh, io.FileIO):
                return fingerprint_at(fh.fileno(), offset) == expected
            before = bytes_before(fh, offset)
            return len(before) == min(offset, FINGERPRINT_BYTES) and fingerprint(before) == expected
    except DECOMPRESSION_ERRORS:  # gone, or a compressed file still being written, or corrupt
        return False


def holding(log: str | os.PathLike, cursor: Cursor) -> Member | None:
    """The member whose bytes the cursor names: its own file (by inode), else a copy of it.

    A copy is a copytruncate's (another inode, the same bytes, maybe shifted
    to an older name since) or a compressed one (a file compressed while the
    viewer was away); plain files first, newest first, each checked by the
    bytes before the cursor's offset (a cursor at offset 0 has none: its own
    file only).
    """
    for _ in range(LISTINGS):  # a rotation renaming the files meanwhile: list them again
        family = members(log)
        own = [member for member in family if member.inode == cursor.inode]
        if cursor.offset == 0:  # no bytes to check: any file would pass for a copy
            return own[0] if own else None
        copies = [member for member in reversed(family) if not member.live and member not in own]
        plain = [member for member in copies if not member.compression]
        packed = [member for member in copies if member.compression]
        same_time = [m for m in packed if cursor.written and m.mtime_ns // 1_000_000 == cursor.written]
        for member in dict.fromkeys(own + plain + same_time + packed):
            if holds(member.path, cursor.offset, cursor.fingerprint) and _still(member):
                return member
        if all(_still(member) for member in family):
            return None  # every file looked at was the one listed: none holds the cursor
    return None


def _still(member: Member) -> bool:
    """Whether ``member``'s name still leads to the file listed."""
    try:
        return os.stat(member.path, follow_symlinks=False).st_ino == member.inode
    except OSError:
        return False


def open_listed(member: Member | None) -> io.RawIOBase | None:
    """A rotated member opened, if its name still leads to the file listed (None: renamed or gone since)."""
    if member is None or member.live:
        return None
    try:
        opened = open_member(member.path)
    except FileNotFoundError:
        return None
    if os.fstat(opened.fileno()).st_ino != member.inode:
        opened.close()
        return None
    return opened


def after(
    log: str | os.PathLike, held: os.stat_result, copied: Callable[[Member], bool], finished_ns: int = 0
) -> Member | None:
    """The member written next after the open file ``held``; None when there is none (yet).

    ``held`` is found in the family by its inode, or as a compressed copy of
    it (``copy_of``; ``copied`` says whether a member holds its bytes). A
    file no longer in the family (deleted, or renamed out of it) is followed
    by the oldest member written after it, and after every file the stream
    finished (``finished_ns``, the latest of their last writes): it never
    goes back to a file it read.
    """
    family = members(log)
    at = next((i for i, member in enumerate(family) if member.inode == held.st_ino), None)
    if at is None:
        at = next((i for i, member in enumerate(family) if copy_of(member, held, copied)), None)
    if at is not None:
        return family[at + 1] if at + 1 < len(family) else None
    since = max(held.st_mtime_ns, finished_ns)
    return next((member for member in family if member.mtime_ns > since), None)


def copy_of(member: Member, held: os.stat_result, copied: Callable[[Member], bool]) -> bool:
    """Whether ``member`` is a compressed copy of the file ``held``: written about when it was last written
    (logrotate keeps that time; a writer may have touched the original since), and holding its bytes."""
    near = abs(member.mtime_ns - held.st_mtime_ns) <= COPY_SLACK_NS
    return bool(member.compression) and near and copied(member)


def written_after(log: str | os.PathLike, written_ms: int) -> Member | None:
    """The oldest member last written at or after ``written_ms`` (epoch milliseconds), or None."""
    return next((member for member in members(log) if member.mtime_ns // 1_000_000 >= written_ms), None)
