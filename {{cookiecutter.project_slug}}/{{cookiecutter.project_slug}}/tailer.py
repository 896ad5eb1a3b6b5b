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
* it recognises only a few rotated names, reads only gzip among compressed
  files, and looks at no bytes; the cursor's file is found in the log's family
  (``family.py``): by its inode, or as a copy (copytruncate's, or a compressed
  one) holding the cursor's bytes; a cursor whose file is gone goes on with the
  oldest member written since (the event id says when its file was last
  written), not the log's start, with a ``reset`` notice;
* after a rotated file it jumps to the log itself, skipping every file rotated
  in between (a storm of rotations between two reads); we move to the next
  member of the family, compressed ones included (``family.after``), and
  only once the file we hold has been quiet for ``rotate_wait`` seconds (its
  writer may still be appending to it under its new name, as log shippers know);
  each file seen at the log's name meanwhile is held open (deleted before the
  stream gets to it, it is still read, and the wait ends then: its lines are
  held nowhere else), and a deleted file is left at once, as no name leads back
  to it; at offset 0 of the live file, a file rotated out of it before the
  first read (a copytruncate) is read first (``_catch_up``).
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from pygtail import Pygtail

from . import family
from .cursor import FINGERPRINT_BYTES, Cursor, fingerprint, fingerprint_at
from .family import NotRegularFile, Unpacked, open_log, open_member
from .state import new_offset_file
from .text import cut, decode_lines, line_starts

BACKLOG_MAX_BYTES = 8 * 1024 * 1024
MAX_AHEAD = 16  # files held open at most, per stream, while it reads an older one


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
    """pygtail on binary files, its rotated file found in the log's family (``family.py``)."""

    def __init__(self, filename: str, offset_file: str, cursor: Cursor) -> None:
        self.cursor = cursor
        self.gone = False  # the cursor's file is nowhere: reading goes on with the next one written
        super().__init__(filename, offset_file=offset_file, copytruncate=True, save_on_end=False)
        if self.rotated_logfile is None and self.offset and self._rewritten_in_place():
            self.rotated_logfile = self._determine_rotated_logfile()
            if self.rotated_logfile is None:
                self.offset = 0
        found = self.rotated_logfile or (self.offset == cursor.offset and self._live_is_cursors())
        if not found and cursor.written:
            # Its bytes are nowhere: go on with the oldest file written since, not from the log's start.
            self.gone = True
            following = family.written_after(filename, cursor.written)
            if following and not following.live:
                self.rotated_logfile = following.path
                if self.fh:
                    self.fh.close()

    def _live_is_cursors(self) -> bool:
        try:
            return os.stat(self.filename).st_ino == self.cursor.inode
        except FileNotFoundError:
            return False

    def _rewritten_in_place(self) -> bool:
        """Same inode and long enough, but other bytes before the offset."""
        try:
            with open_log(self.filename) as fh:
                same_inode = os.fstat(fh.fileno()).st_ino == self.offset_file_inode
                return same_inode and fingerprint_at(fh.fileno(), self.offset) != self.cursor.fingerprint
        except FileNotFoundError:
            return False

    def __del__(self) -> None:
        # pygtail's own __del__ calls _filehandle(), which reopens a closed file.
        if self.fh and not self.fh.closed:
            self.fh.close()

    def _filehandle(self):
        if not self.fh or self.fh.closed:
            self._counter += 1
            # Held open across reads, as pygtail does; closed by Tailer.close(). A compressed member is
            # read through its decompressor (pygtail knows gzip only, and reads it as text).
            self.fh = open_member(self.rotated_logfile or self.filename)
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
        """The family member holding the cursor's bytes (pygtail knows a few names, and looks at no bytes)."""
        found = family.holding(self.filename, self.cursor)
        return found.path if found and not found.live else None


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
        self._behind: tuple[os.stat_result, int, int] | None = None  # the file read before the live one: see _catch_up
        self._finished_ns = 0  # the latest last write of the files this stream finished: it never goes back
        self._open(cursor)
        if not self._placed(cursor):
            self._pending.append("reset")  # not this file's cursor, or its lines are gone: from the start

    def _placed(self, cursor: Cursor) -> bool:
        """Whether reading starts where ``cursor`` says, in this file or a rotated sibling or copy of it."""
        if self._tail.offset != cursor.offset or self._tail.gone:
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
        self._tail = _Pygtail(str(self.path), self.offset_file, cursor)
        # The bytes before where pygtail starts (0 when it could not find the cursor's place).
        self._recent = family.bytes_before(self._tail._filehandle(), self._tail.offset)

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
        """The event id: just past what was read, with when its file was last written as seen."""
        fh = self._tail._filehandle()
        info = os.fstat(fh.fileno())
        return Cursor(info.st_ino, fh.tell(), fingerprint(self._recent), written=info.st_mtime_ns // 1_000_000)

    @property
    def last(self) -> Cursor | None:
        """Where the last read ended (None before the first)."""
        return self._last

    @property
    def resting(self) -> bool:
        """Nothing half done: no notice or catch-up to come, no file held ahead, no cut line or drain under way.

        Two resting tailers at the same ``last`` read the same from then on (``feeds``).
        """
        pending = self._pending or self._ahead or self._behind or self._skipping or self._refused
        return self._last is not None and not pending and self.wake_in is None

    def stale(self, current: os.stat_result | None) -> bool:
        """Whether a read may find something: bytes past the cursor, or another file at the path.

        ``current`` is the path's ``stat`` (None: missing), taken once per tick
        by the file's watcher for all its streams: the stream's safety net, so
        a missed wake costs one tick and an idle stream no system call.
        """
        fh, last = self._tail.fh, self._last
        if fh is None or fh.closed or self._tail.rotated_logfile or isinstance(fh, Unpacked) or last is None:
            return True
        if current is None:
            return not self._missing
        return self._missing or current.st_ino != last.inode or current.st_size != last.offset

    def read(self, until: Cursor | None = None) -> Batch:
        """Complete lines from the cursor on, up to about ``batch_bytes``.

        A read ends at a notice (rotated, truncated, missing, refused, corrupt), so the
        lines before it and after it travel in separate batches. With ``until`` (a
        line's end in some file), a read of that file stops there: a stream catching
        up with its file's feed (``feeds``) reads exactly up to where the feed is.
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
        if self._behind:
            self._catch_up(batch)
        consumed = 0
        while consumed < self.batch_bytes and not self._refused:
            try:
                fh = self._tail._filehandle()
            except NotRegularFile:
                self._refuse(batch)
                break
            start = fh.tell()
            room = self._room(fh, start, until)
            if room == 0:
                break
            try:
                block = self._read_block(fh, room)
            except family.DECOMPRESSION_ERRORS:
                if not isinstance(fh, Unpacked):
                    raise
                self._leave_corrupt(fh, batch)
                break
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
            if room is not None or not self._follow(fh, start, block, batch) or batch.notices:
                break  # (up to ``until``: no line ends before it, so the file is not that one after all)
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
        if fh is None or fh.closed or self._tail.rotated_logfile or isinstance(fh, Unpacked):
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
            following, ready = self._next_file(fh, offset, gone)
            if following is None and not self.guard(self.path):
                if ready:
                    ready.close()
                self._refuse(batch)
                return False
            if partial:
                batch.chunks.append(Chunk(offset, partial))
                self._consume(partial)
            # The batch's cursor is the end of this file, not the start of the next: offset 0 has no
            # bytes to check, so a resume there could not tell the next file was copytruncated since,
            # nor another file that took over its inode number. A deleted file's end is no name's, but
            # its last write says which file of the family came next.
            end = Cursor(info.st_ino, offset + len(partial), fingerprint(self._recent))
            self._ended = replace(end, written=info.st_mtime_ns // 1_000_000)
            if partial:
                batch.anchor = end
            taken_from_ahead = ready is not None and os.fstat(ready.fileno()).st_nlink == 0
            self._behind = None if following or taken_from_ahead else (info, end.offset, end.fingerprint)
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

    def _leave_corrupt(self, fh: Unpacked, batch: Batch) -> None:
        """A compressed sibling that cannot be decompressed (corrupt, or cut short): say so, go on with the next."""
        info = os.fstat(fh.fileno())
        following = family.after(self.path, info, lambda member: False, self._finished_ns)
        self._finished_ns = max(self._finished_ns, info.st_mtime_ns)
        self._ended = Cursor(info.st_ino, fh.tell(), fingerprint(self._recent), written=info.st_mtime_ns // 1_000_000)
        fh.close()
        self._tail.fh, self._tail.offset = None, 0
        self._tail.rotated_logfile = None if following is None or following.live else following.path
        self._recent = b""
        batch.notices.append("corrupt")

    def _catch_up(self, batch: Batch) -> None:
        """Before the first byte of the live file: read first any file rotated out of it meanwhile.

        At offset 0 there are no bytes to check, so a copytruncate (or a rename)
        of the live file before this stream read any of it would go unseen: the
        file it read before must still be the live file's predecessor in the family.
        """
        fh = self._tail.fh
        if self._tail.rotated_logfile or (fh is not None and not fh.closed and fh.tell() > 0):
            self._behind = None
            return
        held, end, checked = self._behind
        member = family.after(self.path, held, lambda m: family.holds(m.path, end, checked), self._finished_ns)
        if member is None or member.live:
            return
        if fh is not None and not fh.closed:
            fh.close()
        self._tail.fh, self._tail.rotated_logfile, self._tail.offset = None, member.path, 0
        self._behind = None
        batch.notices.append("rotated")

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
        """The held files deleted since, as (last write, inode), whose lines exist only here.

        A held file deleted because it was compressed is let go: its compressed copy
        (``family.copy_of``: about its last write, its bytes) is in the family, read in
        its turn (or read already: the chain may have reached it by name first).
        """
        held = {inode: os.fstat(ahead.fileno()) for inode, ahead in self._ahead.items()}
        deleted = {inode: info for inode, info in held.items() if info.st_nlink == 0}
        if not deleted:
            return []
        packed = [member for member in family.members(self.path) if member.compression]
        for inode, info in list(deleted.items()):
            if any(family.copy_of(member, info, self._holds_all_of(inode, info)) for member in packed):
                self._ahead.pop(inode).close()
                del deleted[inode]
        return [(info.st_mtime_ns, inode) for inode, info in deleted.items()]

    def _holds_all_of(self, inode: int, info: os.stat_result) -> Callable[[family.Member], bool]:
        """Whether a member holds the whole of the held file ``inode`` (its bytes up to its end)."""
        fd, end = self._ahead[inode].fileno(), info.st_size
        checked = fingerprint(os.pread(fd, FINGERPRINT_BYTES, max(0, end - FINGERPRINT_BYTES)))
        return lambda member: family.holds(member.path, end, checked)

    def _next_file(self, held, end: int, gone: list[tuple[int, int]]) -> tuple[str | None, io.FileIO | None]:
        """The file to read after ``held`` (None: the log itself), and that file already open if it was held.

        The next member of the log's family (plain or compressed), found after
        ``held`` or after its compressed copy (the one holding its bytes up to
        ``end``); but a held file deleted since (``gone``) comes first when it
        was written before that one.
        """
        checked, info = fingerprint(self._recent), os.fstat(held.fileno())
        member, opened = None, None
        for _ in range(family.LISTINGS):  # a rotation renaming the files meanwhile: list them again
            member = family.after(self.path, info, lambda m: family.holds(m.path, end, checked), self._finished_ns)
            opened = family.open_listed(member)
            if opened is not None or member is None or member.live:
                break
        self._finished_ns = max(self._finished_ns, info.st_mtime_ns)
        following = None if member is None or member.live else member.path
        try:
            by_name = os.fstat(opened.fileno()) if opened else os.stat(self.path)
        except OSError:
            by_name = None
        if gone and (by_name is None or min(gone)[0] <= by_name.st_mtime_ns):
            if opened:
                opened.close()
            return following, self._ahead.pop(min(gone)[1])
        held_ahead = self._ahead.pop(by_name.st_ino, None) if by_name else None
        if opened:  # opened now, by the name it had a moment ago: later renames cannot send the stream elsewhere
            if held_ahead:
                held_ahead.close()
            return following, opened
        return following, held_ahead

    def _reopen(self, cursor: Cursor) -> None:
        """A new pygtail instance, which looks for the copy of a truncated file."""
        self._tail.fh.close()
        self._open(cursor)

    @staticmethod
    def _room(fh, start: int, until: Cursor | None) -> int | None:
        """The bytes ``fh`` may still give before ``until`` (None: no bound, it is another file or behind us)."""
        if until is None or isinstance(fh, Unpacked) or start > until.offset:
            return None
        return until.offset - start if os.fstat(fh.fileno()).st_ino == until.inode else None

    def _read_block(self, fh, room: int | None = None) -> bytes:
        """Up to ``batch_bytes`` (and ``room``); more, up to one line of the longest kept length, when no line ends
        in it."""
        size = self.batch_bytes if room is None else min(self.batch_bytes, room)
        block = fh.read(size)
        if len(block) == self.batch_bytes and b"\n" not in block and self.batch_bytes <= self.max_line_length:
            longest = self.max_line_length + 1 - len(block)
            block += fh.read(longest if room is None else min(longest, room - len(block)))
        return block
