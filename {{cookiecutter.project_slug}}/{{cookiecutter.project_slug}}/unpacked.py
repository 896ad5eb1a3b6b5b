"""A compressed sibling's plain bytes, for reading back: unpacked once into the state directory, kept a while.

A compressed file cannot be read at an offset, and reading back goes by
offsets: the first read back into ``app.log.2.gz`` unpacks it whole, by the
same program a search uses (``family.UNPACK_COMMANDS``, in a process of its
own: the worker's hub waits on it, never blocks), into the state directory;
later reads, from any worker, use that copy. A copy is named by the sibling's
inode, last write and size, so a file replaced since is unpacked again; the
``KEPT`` most recently used copies are kept. A sibling that cannot be
unpacked (corrupt, cut short, or still being compressed) is a ``410`` that
says so.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import gevent

from . import family
from .family import open_log
from .processes import run
from .refused import Refused

KEPT = 4  # unpacked copies in the state directory, the most recently used
UNPACK_SECONDS = 120.0  # the longest an unpacking may take
_PREFIX = "unpacked-"


class Unpacker:
    """Plain copies of compressed siblings in the state directory (``directory()`` names it when first needed)."""

    def __init__(self, directory: Callable[[], Path]) -> None:
        self.directory = directory

    def plain(self, path: str) -> tuple[str, int | None]:
        """A file to read ``path``'s plain bytes from, and the inode its positions name (None: its own)."""
        compression = family.compression_of(path)
        if not compression:
            return path, None
        info = os.stat(path)
        copy = self.directory() / f"{_PREFIX}{info.st_ino:x}-{info.st_mtime_ns:x}-{info.st_size:x}"
        if copy.exists():
            os.utime(copy)  # used: kept longer
        else:
            self._unpack(path, compression, copy)
            self._prune()
        return str(copy), info.st_ino

    def _unpack(self, path: str, compression: str, copy: Path) -> None:
        partial = copy.with_name(f"{copy.name}.{os.getpid()}.part")
        try:
            with open_log(path) as source, open(partial, "wb") as out:
                command = family.UNPACK_COMMANDS[compression]
                try:
                    status, said = run(command, UNPACK_SECONDS, stdin=source.fileno(), stdout=out.fileno())
                except gevent.Timeout:
                    raise Refused(410, f"{os.path.basename(path)} takes too long to decompress") from None
            if status != 0:
                raise Refused(410, f"{os.path.basename(path)} cannot be decompressed: {said}")
            os.replace(partial, copy)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()

    def _prune(self) -> None:
        """All but the ``KEPT`` most recently used copies, and what a killed unpacking left."""
        found = [(copy.stat().st_mtime, copy) for copy in self.directory().glob(f"{_PREFIX}*")]
        copies = [copy for _when, copy in sorted(found, reverse=True) if copy.suffix != ".part"]
        stale = [part for when, part in found if part.suffix == ".part" and when < time.time() - UNPACK_SECONDS]
        for old in copies[KEPT:] + stale:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
