"""The event id and the line position: opaque cursors naming an exact place in a log file.

A cursor holds the file's inode, a byte offset, and a CRC of the bytes before
that offset. The fingerprint tells a file that was truncated and written again
past the offset from one that only grew, and it picks the right copy after a
copytruncate rotation. An event id is the place just past the last line sent.

An event id also carries ``written``: when its file was last written, in
epoch milliseconds, as the stream saw it (``1f-2a00-c0ffee.19a3c4e5f00``). A
viewer resuming after its file was deleted goes on with the oldest file of the
log's family written since (``family.written_after``), not the live file's start.

A line's position (``data-at``) is a cursor with ``back``: the line starts
``back`` bytes before the checked offset (``1f-2a00-c0ffee~51``). The lines of
one event or answer share one checked offset, just past the last of them (the
event's id), so each costs a few characters and no CRC of its own, and the
check covers the lines' own bytes (an offset of 0 would check nothing).
"""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass

FINGERPRINT_BYTES = 64
_FORMAT = re.compile(r"([0-9a-f]{1,16})-([0-9a-f]{1,16})-([0-9a-f]{1,8})(?:\.([0-9a-f]{1,12}))?(?:~([0-9a-f]{1,16}))?")


@dataclass(frozen=True)
class Cursor:
    inode: int
    offset: int
    fingerprint: int = 0
    back: int = 0
    written: int = 0  # the file's last write as the stream saw it, epoch ms (0: not said)

    @property
    def position(self) -> int:
        """The byte offset this cursor names (a line's first byte, for a line position)."""
        return self.offset - self.back

    def encode(self) -> str:
        base = f"{self.inode:x}-{self.offset:x}-{self.fingerprint:x}"
        if self.written:
            base += f".{self.written:x}"
        return f"{base}~{self.back:x}" if self.back else base

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Parse an event id or a line position; ``ValueError`` when it is not one of ours."""
        match = _FORMAT.fullmatch(text.strip())
        if not match:
            raise ValueError(f"malformed cursor {text[:80]!r}")
        inode, offset, fingerprint, written, back = (int(part or "0", 16) for part in match.groups())
        if back > offset:
            raise ValueError(f"cursor {text[:80]!r} points before the start of its file")
        return cls(inode, offset, fingerprint, back, written)


def positions(anchor: Cursor, starts: list[int]) -> list[str]:
    """``data-at`` values of lines starting at byte offsets ``starts``, all checked at ``anchor`` (past them)."""
    base = anchor.encode()
    return [f"{base}~{anchor.offset - start:x}" for start in starts]


def fingerprint(data: bytes) -> int:
    """CRC-32 of the last ``FINGERPRINT_BYTES`` of ``data``."""
    return zlib.crc32(data[-FINGERPRINT_BYTES:])


def fingerprint_at(fd: int, offset: int) -> int:
    """Fingerprint of the bytes of an open file just before ``offset``."""
    start = max(0, offset - FINGERPRINT_BYTES)
    return fingerprint(os.pread(fd, offset - start, start) if offset > start else b"")
