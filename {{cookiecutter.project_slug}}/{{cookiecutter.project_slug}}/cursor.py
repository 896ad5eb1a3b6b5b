"""The event id: an opaque cursor naming the exact position after a line.

It holds the file's inode, the byte offset just past the last line sent, and a
CRC of the bytes before that offset. The fingerprint tells a file that was
truncated and written again past the offset from one that only grew, and it
picks the right copy after a copytruncate rotation.
"""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass

FINGERPRINT_BYTES = 64
_FORMAT = re.compile(r"([0-9a-f]{1,16})-([0-9a-f]{1,16})-([0-9a-f]{1,8})")


@dataclass(frozen=True)
class Cursor:
    inode: int
    offset: int
    fingerprint: int = 0

    def encode(self) -> str:
        return f"{self.inode:x}-{self.offset:x}-{self.fingerprint:x}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Parse an event id; ``ValueError`` when it is not one of ours."""
        match = _FORMAT.fullmatch(text.strip())
        if not match:
            raise ValueError(f"malformed cursor {text[:80]!r}")
        inode, offset, fingerprint = (int(part, 16) for part in match.groups())
        return cls(inode, offset, fingerprint)


def fingerprint(data: bytes) -> int:
    """CRC-32 of the last ``FINGERPRINT_BYTES`` of ``data``."""
    return zlib.crc32(data[-FINGERPRINT_BYTES:])


def fingerprint_at(fd: int, offset: int) -> int:
    """Fingerprint of the bytes of an open file just before ``offset``."""
    start = max(0, offset - FINGERPRINT_BYTES)
    return fingerprint(os.pread(fd, offset - start, start) if offset > start else b"")
