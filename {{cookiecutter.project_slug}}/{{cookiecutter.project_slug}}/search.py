"""Search a log and its rotated siblings with ripgrep: matches as they are found, progress, cancellation.

The scan is ripgrep (``ripgrep``: its processes, their output, a big file in
parts): linear time whatever the pattern (Rust's regex engine has no
backtracking), and byte offsets in its output, read through gevent's
cooperative pipes, so a search never stalls the live streams of the same
worker. Here: the query, the files (the current file first, then its rotated
siblings from newest to oldest, compressed ones too: the log's family,
``family.py``), matches as events with their positions, progress, the limit.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import family, ripgrep, sse
from .cursor import FINGERPRINT_BYTES, Cursor, fingerprint, fingerprint_at, positions
from .family import open_log
from .levels import kept
from .processes import Process
from .refused import Refused, reason
from .text import cut

DEFAULT_LIMIT = 1000  # matches a search returns unless asked for another number
PROGRESS_SECONDS = 0.5
EVENT_LINES = 200  # matches per event at most


class SearchRefused(Refused):
    """A search that cannot start: 400 (bad pattern)."""


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
                parts = ripgrep.parts(rg, query.arguments(), path, fh.fileno())
            except OSError as error:
                notes.append(f"{name}: cannot search it: {reason(error)}")
                continue
            try:
                for part in parts:
                    ended = False
                    while not ended and not truncated:
                        wait = max(0.0, last_progress + PROGRESS_SECONDS - time.monotonic())
                        batch, ended = ripgrep.batch(part.found, wait)
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


def _matches_event(batch: list[ripgrep.Match], name: str, fd: int, compressed: bool, max_line_length: int) -> bytes:
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
