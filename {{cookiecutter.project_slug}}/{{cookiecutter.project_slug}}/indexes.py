"""A worker's granule indexes (``granules``), kept current: a little reading inline, a big build in a process.

A timeline reads the index of each file of a family. Reading on a few MB of
the live file takes milliseconds and is done in the worker; building the index
of a gigabyte takes a second of numpy on two threads, done by ``python -m
<package>.granules`` in a process of its own while the hub serves the streams
(``processes``). Two requests for one file in a worker wait for one build;
workers sharing a state directory share the saved indexes. Indexes not used
for ``KEPT_DAYS`` (their files rotated away long since) are removed.
"""

from __future__ import annotations

import contextlib
import errno
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

INLINE_BYTES = 4 << 20  # left to read in the worker itself; more is a build of its own
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
        except (FileNotFoundError, *DECOMPRESSION_ERRORS):
            return None
        finally:
            if not lock.locked():
                self._building.pop(saved, None)

    def _current(self, member: Member, saved: Path) -> granules.Index:
        index, left = granules.unread(member.path, granules.Index.load(saved))
        if index is not None and left == 0:
            with contextlib.suppress(OSError):
                os.utime(saved)  # used: kept
            return index
        if left * (PACKED_RATIO if member.compression else 1) <= INLINE_BYTES:
            return granules.brought_up_to_date(member.path, saved)
        self._build(member.path, saved)
        self._prune()
        return granules.Index.load(saved) or granules.brought_up_to_date(member.path, saved)

    def _build(self, path: str, saved: Path) -> None:
        try:
            status, said = run([sys.executable, "-m", f"{__package__}.granules", path, str(saved)], BUILD_SECONDS)
        except gevent.Timeout:
            raise Refused(503, f"counting the lines of {os.path.basename(path)} takes too long") from None
        if status != 0:  # the file could not be read: a timeline goes on without it
            raise OSError(errno.EIO, said, path)

    def _prune(self) -> None:
        """Remove indexes not used for ``KEPT_DAYS``, and what a killed build left."""
        old = time.time() - KEPT_DAYS * 86400
        for found in self.directory().glob("timeline-*"):
            with contextlib.suppress(OSError):
                when = found.stat().st_mtime
                if when < old or (found.suffix == ".part" and when < time.time() - BUILD_SECONDS):
                    found.unlink()
