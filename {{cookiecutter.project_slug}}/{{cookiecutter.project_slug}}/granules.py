"""A file's lines counted by level in time granules: the index a timeline is drawn from.

An index holds, for each granule of time (a second, or coarser so a file has
at most ``max_rows`` of them, about one per 64 KB), how many lines of each
level it has, and where its first line starts (offset and the CRC of the 64
bytes before: a permalink, ``cursor.Cursor``). It is built once per file and
kept in the state directory, named by the file's inode: a rotated file does not
change, the live file's index is read on from where it stopped, and a file
that no longer holds the bytes its index ended after (a copytruncate, a new
file) is indexed afresh.

Lines are read in bulk, not one by one in Python: a block (16 MB in a build,
1 MB when a worker reads on) is one numpy array; the line starts are its
newlines; each line's bytes from its stamp's column to its level word are
taken at once (``Window``); a line starts a record when they fit the file's
stamp (learned from its first lines, ``moments.stamp_of``), compared eight at
a time as 64-bit words; the stamp is parsed once per minute
(``moments.time_as``), its seconds read as two digits; the level is the four
bytes at the file's level column looked up in bulk (``levels.column_keys``);
only a record without a level word there is read whole (``levels.level_of``).
A continuation line counts with its record. Files whose stamps are not at a
fixed column (JSON, access logs) are read line by line, as slowly as that is.
A build counts blocks on two threads (numpy lets go of the GIL) in a process
of its own (``python -m``), so the worker's hub never waits on it.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import zlib
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from . import levels, moments
from .cursor import FINGERPRINT_BYTES, fingerprint
from .family import bytes_before, compression_of, open_member

FORMAT = 1  # of a saved index: another is built again
CHUNK = 16 << 20  # bytes counted at a time by a build of its own
# by a worker reading on: its blocks and numpy's temporaries are reused from the heap, where 16 MB ones are
# fresh pages from the kernel each time (most of a read-on's cost)
READ_ON_CHUNK = 1 << 20
THREADS = 2  # blocks counted at once by a build of its own
LEVEL_NAMES = ("none", *levels.LEVELS)  # the columns of ``counts``
_CODE = {None: 0, **{name: code for code, name in enumerate(levels.LEVELS, 1)}}
GRANULES = (1, 2, 10, 30, 60, 120, 600, 1800, 3600, 7200, 21600, 86400)  # seconds; each divides the next
ROW_BYTES = 64 << 10  # of log per row, at most, beyond MIN_ROWS: an index is under 1 MB per GB
MIN_ROWS = 4096
SAMPLE_BYTES = 256 << 10  # of a file's start, where its layout is learned
MAX_STAMP_END = 48  # a stamp read in bulk ends this near its line's start
MAX_LINE = 64 << 20  # bytes without a newline counted as one line
PAD = 128  # zero bytes after a block: a window read at its last line stays inside (MAX_STAMP_END + WINDOW_MAX)
_UNKNOWN = 255


def max_rows(size: int) -> int:
    """How many granules an index of a file of ``size`` bytes may have."""
    return max(MIN_ROWS, size // ROW_BYTES)


@dataclass(frozen=True)
class Layout:
    """Where a file's records keep their stamp and level ("" stamp: read line by line)."""

    stamp: str = ""  # a format of ``moments``
    column: int = 0  # where the stamp starts
    template: str = ""  # the first record's stamp, to the end of its seconds
    seconds: int = 0  # where the seconds start in it
    level_column: int = -1  # where records keep their level word (-1: not at one place)
    level_width: int = 4
    has_levels: bool = True  # the first lines showed a level


def learn(sample: bytes) -> Layout:
    """The layout of a file from its first lines (``sample`` ends with a whole line)."""
    lines = sample.decode("latin-1").split("\n")[:-1]
    stamps = [moments.stamp_of(line) for line in lines[:1000]]
    found = [stamp for stamp in stamps if stamp]
    reader = levels.Levels()
    seen = reader.of(lines[:1000])
    has_levels = any(seen)
    if not found:
        return Layout(has_levels=has_levels)
    first = found[0]
    alike = sum(1 for stamp in found if (stamp.name, stamp.column, stamp.end) == (first.name, first.column, first.end))
    if alike < 0.9 * len(found) or first.end > MAX_STAMP_END:
        return Layout(has_levels=has_levels)
    line = lines[stamps.index(first)]
    return Layout(
        first.name,
        first.column,
        line[first.column : first.end],
        first.seconds - first.column,
        -1 if reader.column is None else reader.column,
        reader.width,
        has_levels,
    )


WINDOW_MAX = 64  # bytes read at once from a record's stamp: its level word too, when that is near


@dataclass(frozen=True)
class Window:
    """The bytes of each line read at once, from its stamp's column: ``words`` 8-byte words, with the masks and
    values a record's fit (a digit or a space fits either, a letter any letter, anything else itself; the bytes
    after the stamp fit anything), and the masks of the bytes that name its minute (those before the seconds)."""

    words: int
    fits: np.ndarray  # (words,) uint64
    values: np.ndarray
    minute: np.ndarray
    level: int  # where the level word starts in it (-1: not in it)


def window(layout: Layout) -> Window:
    """How the records of ``layout`` are read in bulk."""
    level = layout.level_column - layout.column
    near = layout.level_column >= 0 and level >= 0 and level + layout.level_width <= WINDOW_MAX
    span = max(len(layout.template), level + layout.level_width if near else 0)
    words = -(-span // 8)
    fits, values, minute = bytearray(8 * words), bytearray(8 * words), bytearray(8 * words)
    for at, char in enumerate(layout.template):
        minute[at] = 0xFF if at < layout.seconds else 0
        if char.isdigit() or char == " ":
            fits[at], values[at] = 0xE0, 0x20
        elif char.isalpha():
            fits[at], values[at] = 0xC0, 0x40
        else:
            fits[at], values[at] = 0xFF, ord(char)

    def as_words(mask: bytearray) -> np.ndarray:
        return np.frombuffer(bytes(mask), "<u8").astype(np.uint64)

    return Window(words, as_words(fits), as_words(values), as_words(minute), level if near else -1)


def _view(pad: np.ndarray, width: int, dtype: str) -> np.ndarray:
    """``pad`` read as items of ``width`` bytes starting at every byte."""
    return np.ndarray((len(pad) - width + 1,), dtype=dtype, buffer=pad, strides=(1,))


def _bytes_at(words: np.ndarray, offset: int, width: int) -> np.ndarray:
    """The ``width`` bytes at ``offset`` of each line's window (``words``: a row per word) as a little-endian
    number."""
    word, shift = divmod(offset, 8)
    value = words[word] >> np.uint64(8 * shift)
    if shift + width > 8:
        value |= words[word + 1] << np.uint64(8 * (8 - shift))
    return value & np.uint64((1 << 8 * width) - 1)


@dataclass
class Counted:
    """What a block of whole lines holds: its rows (by second), and its lines before its first record."""

    keys: np.ndarray  # int64 epoch seconds
    offsets: np.ndarray  # int64: each row's first line, in the file
    crcs: np.ndarray  # uint32: of the bytes before it
    counts: np.ndarray  # (rows, 7) int64, by ``LEVEL_NAMES``
    leading: int  # lines before the first record: they continue the record before the block
    last: tuple[int, int] | None  # (second, level code) of its last record


class Reader:
    """Counts blocks of one file's whole lines (``count``), in bulk when its layout allows."""

    def __init__(self, layout: Layout, written: float) -> None:
        self.layout, self.written = layout, written
        self.bulk = bool(layout.stamp)
        self._window = window(layout)
        keys = levels.column_keys(layout.level_width)
        table = sorted((int.from_bytes(key, "little"), _CODE[level]) for key, level in keys.items())
        self._level_keys = np.array([key for key, _code in table], dtype=np.uint64)
        self._level_codes = np.array([code for _key, code in table], dtype=np.uint8)
        self._levels = levels.Levels()  # line by line: its state runs from block to block

    def count(self, data: bytearray, base: int, before: bytes) -> Counted:
        """The rows of ``data`` (whole lines starting at offset ``base``, then ``PAD`` zero bytes; ``before``:
        the bytes before them)."""
        return self._bulk(data, base, before) if self.bulk else self._by_line(data, base, before)

    def _bulk(self, data: bytearray, base: int, before: bytes) -> Counted:
        layout, shape = self.layout, self._window
        pad = np.frombuffer(data, np.uint8)  # its lines, then at least PAD zero bytes
        ends = np.flatnonzero(pad[: len(data) - PAD] == 10)
        starts = np.concatenate(([0], ends[:-1] + 1))
        width = 8 * shape.words
        at = starts + layout.column
        words = _view(pad, width, f"V{width}")[at].view("<u8").reshape(-1, shape.words).T.copy()  # a row a word
        fits = np.ones(len(starts), bool)
        for word, mask, value in zip(words, shape.fits, shape.values, strict=True):
            fits &= (word & mask) == value
        if fits.all():  # the usual block: every line a record
            records = np.arange(len(starts))
        else:
            records = np.flatnonzero(fits)
            if not records.size:
                return _nothing(len(starts))
            words = words[:, records]
        new_minute = np.zeros(records.size, bool)
        new_minute[0] = True
        for word, minute in zip(words, shape.minute, strict=True):
            if minute:
                key = word & minute
                new_minute[1:] |= key[1:] != key[:-1]
        pair = _bytes_at(words, layout.seconds, 2)  # two ASCII digits: less "0" ten times and once (48 * 11)
        seconds = (pair & np.uint64(0xFF)).astype(np.int64) * 10 + (pair >> np.uint64(8)).astype(np.int64) - 528
        heads = np.flatnonzero(new_minute)
        minutes = np.zeros(heads.size, np.int64)
        valid = np.ones(heads.size, bool)
        for j, head in enumerate(heads.tolist()):
            start = int(at[records[head]])
            stamp = bytes(data[start : start + len(layout.template) + 24]).decode("latin-1")
            moment = moments.time_as(layout.stamp, stamp, self.written)
            if moment is None or not 0 <= seconds[head] < 61:
                valid[j] = False
            else:
                minutes[j] = math.floor(moment) - int(seconds[head])
        minute_of = np.cumsum(new_minute) - 1
        if not valid.all():  # a stamp that is no time (2026-02-31): its line continues the record before
            keep = valid[minute_of]
            records, seconds, minute_of, words = records[keep], seconds[keep], minute_of[keep], words[:, keep]
            if not records.size:
                return _nothing(len(starts))
        times = minutes[minute_of] + seconds
        codes = self._bulk_levels(pad, starts, records, ends, words)
        return _rows(data, base, before, starts, records, times, codes)

    def _bulk_levels(
        self, pad: np.ndarray, starts: np.ndarray, records: np.ndarray, ends: np.ndarray, words: np.ndarray
    ) -> np.ndarray:
        """The level code of each record: the bytes at the level column, else the record read whole."""
        layout = self.layout
        if not layout.has_levels:
            return np.zeros(records.size, np.uint8)
        codes = np.full(records.size, _UNKNOWN, np.uint8)
        if layout.level_column >= 0:
            if self._window.level >= 0:
                found = _bytes_at(words, self._window.level, layout.level_width)
            else:
                width = layout.level_width
                found = _view(pad, width, f"<u{width}")[starts[records] + layout.level_column].astype(np.uint64)
            where = np.minimum(np.searchsorted(self._level_keys, found), len(self._level_keys) - 1)
            hit = self._level_keys[where] == found
            codes = np.where(hit, self._level_codes[where], codes)
        for j in np.flatnonzero(codes == _UNKNOWN).tolist():
            start = int(starts[records[j]])
            line = bytes(pad[start : min(int(ends[records[j]]), start + 4096)]).decode("latin-1")
            codes[j] = _CODE[levels.level_of(line)]
        return codes

    def _by_line(self, data: bytearray, base: int, before: bytes) -> Counted:
        lines = data[: len(data) - PAD].decode("latin-1").split("\n")[:-1]
        lengths = np.fromiter(map(len, lines), np.int64, len(lines)) + 1
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        line_levels = self._levels.of(lines)
        stamped = [(i, moments.time_of(line[: moments.HEAD], self.written)) for i, line in enumerate(lines)]
        stamped = [(i, moment) for i, moment in stamped if moment is not None]
        if not stamped:
            return _nothing(len(lines))
        records = np.array([i for i, _moment in stamped], np.int64)
        times = np.array([math.floor(moment) for _i, moment in stamped], np.int64)
        codes = np.array([_CODE[line_levels[i]] for i, _moment in stamped], np.uint8)
        return _rows(data, base, before, starts, records, times, codes)


def _nothing(lines: int) -> Counted:
    empty = np.zeros(0, np.int64)
    return Counted(empty, empty, np.zeros(0, np.uint32), np.zeros((0, 7), np.int64), lines, None)


def _rows(
    data: bytes,
    base: int,
    before: bytes,
    starts: np.ndarray,
    records: np.ndarray,
    times: np.ndarray,
    codes: np.ndarray,
) -> Counted:
    """The rows of a block: each record counts itself and the lines after it up to the next record."""
    owned = np.diff(np.append(records, len(starts)))
    new_second = np.concatenate(([True], times[1:] != times[:-1]))
    runs = np.flatnonzero(new_second)
    keys, first, row_of_run = np.unique(times[runs], return_index=True, return_inverse=True)
    row_of_record = row_of_run[np.cumsum(new_second) - 1]
    counts = np.bincount(row_of_record * 7 + codes, weights=owned, minlength=keys.size * 7)
    local = starts[records[runs[first]]]
    crcs = np.array([_crc_before(data, before, int(offset)) for offset in local], np.uint32)
    last = (int(times[-1]), int(codes[-1]))
    return Counted(keys, local + base, crcs, counts.reshape(-1, 7).astype(np.int64), int(records[0]), last)


def _crc_before(data: bytes, before: bytes, offset: int) -> int:
    """The fingerprint of the bytes before ``offset`` of a block (``before``: the bytes before the block)."""
    if offset >= FINGERPRINT_BYTES:
        return fingerprint(data[offset - FINGERPRINT_BYTES : offset])
    return fingerprint(before + data[:offset])


@dataclass
class Index:
    """One file's granules, and how far it has been read."""

    inode: int
    identity: list[int]  # a compressed file's last write and size: it is indexed whole, once
    layout: Layout | None = None
    granule: int = 1
    indexed: int = 0  # bytes read (whole lines)
    check: int = 0  # the fingerprint of the bytes before ``indexed``
    written: float = 0.0  # the file's last write when it was read (the year of stamps without one)
    last: tuple[int, int] | None = None  # (second, level code) of the last record read
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # each granule's start, epoch seconds
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    crcs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 7), np.uint32))
    first: int | None = None  # the first and last stamped second
    latest: int | None = None

    def save(self, path: Path) -> None:
        """Written whole under another name, then renamed: a reader sees the old index or the new one."""
        header = {
            "format": FORMAT,
            "inode": self.inode,
            "identity": self.identity,
            "layout": asdict(self.layout) if self.layout else None,
            "granule": self.granule,
            "indexed": self.indexed,
            "check": self.check,
            "written": self.written,
            "last": self.last,
            "first": self.first,
            "latest": self.latest,
        }
        partial = path.with_name(f"{path.name}.{os.getpid()}.part")
        with open(partial, "wb") as out:
            np.savez(
                out,
                header=np.frombuffer(json.dumps(header).encode(), np.uint8),
                keys=self.keys,
                offsets=self.offsets,
                crcs=self.crcs,
                counts=self.counts.astype(np.uint32),
            )
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> Index | None:
        """The index saved at ``path``; None when there is none (or another format's, or a damaged one)."""
        try:
            with np.load(path) as saved:
                header = json.loads(saved["header"].tobytes())
                if header.get("format") != FORMAT:
                    return None
                arrays = {name: saved[name] for name in ("keys", "offsets", "crcs", "counts")}
        except (OSError, ValueError, KeyError, EOFError, zlib.error):
            return None
        layout = Layout(**header["layout"]) if header["layout"] else None
        last = tuple(header["last"]) if header["last"] else None
        del header["format"], header["layout"], header["last"]
        return cls(layout=layout, last=last, **header, **arrays)


def index_path(directory: Path, inode: int) -> Path:
    """Where the index of the file with ``inode`` is kept."""
    return directory / f"timeline-{inode:x}.npz"


def _identity(path: str, info: os.stat_result) -> list[int]:
    return [info.st_mtime_ns, info.st_size] if compression_of(path) else []


def unread(path: str, index: Index | None) -> tuple[Index | None, int]:
    """``index`` if it still describes the file at ``path`` (else None), and how many bytes are left to read."""
    with open_member(path) as fh:
        info = os.fstat(fh.fileno())
        if index is None or index.inode != info.st_ino or index.identity != _identity(path, info):
            return None, info.st_size
        if compression_of(path):
            return index, 0
        if info.st_size < index.indexed or fingerprint(bytes_before(fh, index.indexed)) != index.check:
            return None, info.st_size  # truncated, or written again from the start: a copytruncate
        return index, info.st_size - index.indexed


def brought_up_to_date(path: str, saved: Path, threads: int = 1) -> Index:
    """The index of ``path`` kept at ``saved``: loaded, read on from where it stopped (or built), saved."""
    index, left = unread(path, Index.load(saved))
    if index is not None and left == 0:
        return index
    with open_member(path) as fh:
        info = os.fstat(fh.fileno())
        if index is None:
            index = Index(info.st_ino, _identity(path, info))
        index.written = info.st_mtime
        _read_on(index, fh, info.st_size, threads)
    index.save(saved)
    return index


def _blocks(fh: BinaryIO, start: int, size: int, chunk: int) -> Iterable[tuple[bytearray, int]]:
    """Whole lines of ``fh`` (a plain file of ``size`` bytes, or more if it grows; or a decompressed stream) from
    ``start``, ``chunk`` bytes or so at a time, each block followed by ``PAD`` zero bytes, with its offset (an
    unfinished last line is left for later)."""
    fh.seek(start)
    rest, position = b"", start
    while True:
        wanted = max(min(chunk, size - position - len(rest)), 1 << 16) if isinstance(fh, io.FileIO) else chunk
        block = bytearray(len(rest) + wanted + PAD)
        block[: len(rest)] = rest
        if isinstance(fh, io.FileIO):
            got = fh.readinto(memoryview(block)[len(rest) : len(rest) + wanted])
        else:  # a decompressed stream
            unpacked = fh.read(wanted)
            got = len(unpacked)
            block[len(rest) : len(rest) + got] = unpacked
        if not got:
            return
        filled = len(rest) + got
        cut = block.rfind(b"\n", 0, filled) + 1
        if not cut and filled < MAX_LINE:
            rest = bytes(block[:filled])
            continue
        cut = cut or filled
        rest = bytes(block[cut:filled])
        block[cut:] = bytes(PAD)
        yield block, position
        position += cut


def _read_on(index: Index, fh: BinaryIO, size: int, threads: int) -> None:
    """Count the lines of ``fh`` after ``index.indexed`` into the index."""
    before = bytes_before(fh, index.indexed)
    found: list[Counted] = []
    reader: Reader | None = None
    end = index.indexed
    pool = ThreadPoolExecutor(threads) if threads > 1 else None  # none in a worker's own thread
    try:
        pending: deque[Future[Counted]] = deque()
        for block, offset in _blocks(fh, index.indexed, size, CHUNK if pool else READ_ON_CHUNK):
            length = len(block) - PAD
            if index.layout is None:
                index.layout = learn(bytes(block[: block.rfind(b"\n", 0, min(length, SAMPLE_BYTES)) + 1]))
            if reader is None:
                reader = Reader(index.layout, index.written)
            if reader.bulk and pool:
                pending.append(pool.submit(reader.count, block, offset, before))
            else:
                found.append(reader.count(block, offset, before))
            while len(pending) > threads or (pending and pending[0].done()):
                found.append(pending.popleft().result())
            before = (before + block[max(0, length - FINGERPRINT_BYTES) : length])[-FINGERPRINT_BYTES:]
            end = offset + length
        found += [future.result() for future in pending]
    finally:
        if pool:
            pool.shutdown()
    index.indexed, index.check = end, fingerprint(before)
    _merge(index, found, max(size, end))


def _merge(index: Index, found: list[Counted], size: int) -> None:
    """Add the blocks' rows to the index, in file order; coarsen its granule while it has too many rows."""
    keys, offsets, crcs = [index.keys], [index.offsets], [index.crcs]
    counts = [index.counts.astype(np.int64)]
    for counted in found:
        if counted.leading and index.last:  # lines continuing the record before the block: with it
            second, code = index.last
            extra = np.zeros((1, 7), np.int64)
            extra[0, code] = counted.leading
            keys.append(np.array([second], np.int64))
            offsets.append(np.array([np.iinfo(np.int64).max]))  # never a granule's first line
            crcs.append(np.zeros(1, np.uint32))
            counts.append(extra)
        if counted.last:
            index.last = counted.last
        keys.append(counted.keys)
        offsets.append(counted.offsets)
        crcs.append(counted.crcs)
        counts.append(counted.counts)
    all_keys = np.concatenate(keys)
    if not all_keys.size:
        return
    new = np.concatenate(keys[1:]) if len(keys) > 1 else all_keys[:0]
    if new.size:
        index.first = int(new.min()) if index.first is None else min(index.first, int(new.min()))
        index.latest = int(new.max()) if index.latest is None else max(index.latest, int(new.max()))
    granule = index.granule
    while np.unique(all_keys // granule).size > max_rows(size) and granule != GRANULES[-1]:
        granule = GRANULES[GRANULES.index(granule) + 1]
    index.granule = granule
    all_keys = all_keys // granule * granule
    all_offsets = np.concatenate(offsets)
    order = np.lexsort((all_offsets, all_keys))  # by granule, then where in the file
    sorted_keys = all_keys[order]
    index.keys, first, row_of = np.unique(sorted_keys, return_index=True, return_inverse=True)
    index.offsets = all_offsets[order][first]
    index.crcs = np.concatenate(crcs)[order][first]
    summed = np.zeros((index.keys.size, 7), np.int64)
    np.add.at(summed, row_of, np.concatenate(counts)[order])
    index.counts = summed.astype(np.uint32)


def main(argv: list[str]) -> int:
    """``python -m <package>.granules <log file> <index file>``: bring one index up to date (a worker's build)."""
    path, saved = argv
    brought_up_to_date(path, Path(saved), THREADS)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
