"""A worker's granule indexes (``granules``), kept current: reading on in a thread, a big build in a process.

A timeline reads the index of each file of a family. Reading on what the live
file gained takes milliseconds, done in a thread of the hub's pool (numpy lets
go of the GIL: the streams go on); building the index of a gigabyte takes a
second of numpy on two threads, done by ``python -m <package>.granules`` in a
process of its own (``processes``), away from the worker's streams. Two
requests for one file in a worker wait for one build; workers sharing a state
directory share the saved indexes. Indexes not used for ``KEPT_DAYS`` (their
files rotated away long since) are removed.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import gevent
from gevent.lock import Semaphore

from . import granules
from .family import DECOMPRESSION_ERRORS, Member
from .processes import run
from .refused import Refused

THREAD_BYTES = 64 << 20  # left to read in a thread of the worker (some 80 ms); more is a build of its own
PACKED_RATIO = 8  # a compressed file unpacks to about this many times its size
BUILD_SECONDS = 300.0  # the longest a build may take
KEPT_DAYS = 7


class Indexes:
    """The indexes in the state directory (``directory()`` names it when first needed)."""

    def __init__(self, directory: Callable[[], Path]) -> None:
        self.directory = directory
        self._building: dict[Path, Semaphore] = {}

    def of(self, member: Member) -> granules.Index | None:
        """The current index of ``member``; None when it cannot be read (gone, or a corrupt compressed file)."""
        saved = granules.index_path(self.directory(), member.inode)
        lock = self._building.setdefault(saved, Semaphore())
        try:
            with lock:
                return self._current(member, saved)
        finally:
            if not lock.locked():
                self._building.pop(saved, None)

    def _current(self, member: Member, saved: Path) -> granules.Index | None:
        try:
            index, left = granules.unread(member.path, granules.Index.load(saved))
        except (FileNotFoundError, *DECOMPRESSION_ERRORS):
            return None
        if index is not None and left == 0:
            with contextlib.suppress(OSError):
                os.utime(saved)  # used: kept
            return index
        if left * (PACKED_RATIO if member.compression else 1) <= THREAD_BYTES:  # numpy lets the hub run meanwhile
            return gevent.get_hub().threadpool.apply(_read_on, (member.path, saved))
        built = self._build(member.path, saved)
        self._prune()
        return granules.Index.load(saved) if built else None

    def _build(self, path: str, saved: Path) -> bool:
        """Whether a process of its own built the index (False: the file could not be read)."""
        try:
            status, _said = run([sys.executable, "-m", f"{__package__}.granules", path, str(saved)], BUILD_SECONDS)
        except gevent.Timeout:
            raise Refused(503, f"counting the lines of {os.path.basename(path)} takes too long") from None
        return status == 0

    def _prune(self) -> None:
        """Remove indexes not used for ``KEPT_DAYS``, and what a killed build left."""
        old = time.time() - KEPT_DAYS * 86400
        for found in self.directory().glob("timeline-*"):
            with contextlib.suppress(OSError):
                when = found.stat().st_mtime
                if when < old or (found.suffix == ".part" and when < time.time() - BUILD_SECONDS):
                    found.unlink()


def _read_on(path: str, saved: Path) -> granules.Index | None:
    """The index of ``path`` brought up to date (in a thread of the hub's pool); None when it cannot be read."""
    try:
        return granules.brought_up_to_date(path, saved)
    except (FileNotFoundError, *DECOMPRESSION_ERRORS):
        return None
