"""Several files as one (``files=``): the files a request names, and their lines merged by time.

``files=a.log,b.log`` names up to ``MAX_FILES`` files, each checked as a single
path is (``paths``); an entry may be a glob in its last segment
(``worker/*.log``): the matching files of that one directory. A refusal names
the entry it refuses.

Lines are merged by their time stamps (``moments.time_of``): a line without
one (a traceback) takes the time of the line before it, so it stays with its
record; lines of one time go in the order the files were named, and each
file's lines stay in the file's own order (a k-way merge, never a sort).
"""

from __future__ import annotations

import fnmatch
import heapq
import html
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .moments import LineTimes
from .paths import AllowedPaths, LogFile, PathRefused
from .refused import Refused

MAX_FILES = 16
_WILDCARDS = "*?["
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Named:
    """A file ``files=`` names: as the page shows it (``@node/path`` for another node's), and this node's file."""

    name: str
    log_file: LogFile | None  # None: another node's


def named_files(
    values: list[str],
    paths: AllowedPaths,
    elsewhere: Callable[[str], str | None],
    listed: Callable[[str], list[str]],
) -> list[Named]:
    """The files ``files=`` names (one value of comma-separated entries, or several: a form's ticked boxes), in
    its order (a glob's matches by name); ``Refused`` naming what it refuses. ``elsewhere`` says which other
    node an ``@node/path`` entry names (None: this one), ``listed`` the names of another node's files (a glob
    of that node's is matched against them)."""
    text = ",".join(values)
    if not text.strip():
        raise Refused(400, f"files= names no file: expected files=a.log,b.log (at most {MAX_FILES}) or a glob")
    found: dict[str, Named] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            raise Refused(400, f"files={text[:80]!r} has an empty entry")
        for named in _named(entry, paths, elsewhere, listed):
            found.setdefault(str(named.log_file.path) if named.log_file else named.name, named)
    if len(found) > MAX_FILES:
        raise Refused(400, f"files= names {len(found)} files: at most {MAX_FILES} can be merged")
    return list(found.values())


def _named(
    entry: str, paths: AllowedPaths, elsewhere: Callable[[str], str | None], listed: Callable[[str], list[str]]
) -> list[Named]:
    globbed = any(c in entry for c in _WILDCARDS)
    if entry.startswith("@"):
        node = elsewhere(entry)
        if node is not None and globbed:
            return [Named(f"@{node}/{name}", None) for name in _matching(entry, listed(node))]
        if node is not None:
            return [Named(entry, None)]
        entry = entry.partition("/")[2]  # this node's own
    files = _globbed(entry, paths) if globbed else [_one(entry, paths)]
    return [Named(log_file.name, log_file) for log_file in files]


def _one(entry: str, paths: AllowedPaths) -> LogFile:
    try:
        return paths.resolve(entry)
    except PathRefused as refusal:
        raise Refused(refusal.status, f"{entry[:80]!r}: {refusal.message}") from None


def _glob(entry: str, path: str) -> tuple[str, str]:
    """A glob's directory and pattern (``path``: ``entry`` without its node); ``Refused`` for a glob that is not
    in the file name of one directory of the log directory."""
    directory, _, pattern = path.rpartition("/")
    if any(c in directory for c in _WILDCARDS):
        raise Refused(400, f"{entry[:80]!r}: a glob may only be in the file name, within one directory")
    if ".." in directory.split("/") or directory.startswith("/"):
        raise Refused(403, f"{entry[:80]!r}: the path leaves the log directory")
    return directory, pattern


def _matching(entry: str, names: list[str]) -> list[str]:
    """Another node's files (``names``, as its index lists them) that the glob ``entry`` matches."""
    directory, pattern = _glob(entry, entry.partition("/")[2])
    here = sorted(name.rpartition("/")[2] for name in names if name.rpartition("/")[0] == directory)
    found = [f"{directory}/{name}" if directory else name for name in fnmatch.filter(here, pattern)]
    if not found:
        raise Refused(404, f"{entry[:80]!r}: no file matches")
    return found


def _globbed(entry: str, paths: AllowedPaths) -> list[LogFile]:
    """The regular files of one directory whose names match the last segment of ``entry``."""
    directory, pattern = _glob(entry, entry)
    try:
        names = sorted(os.listdir(paths.base / directory))
    except OSError:
        raise Refused(404, f"{entry[:80]!r}: no such directory") from None
    matches = []
    for name in fnmatch.filter(names, pattern):
        relative = f"{directory}/{name}" if directory else name
        try:
            matches.append(paths.resolve(relative))
        except PathRefused as refusal:
            if refusal.status != 404:  # a directory the glob may not read: say so; not a file: skip it
                if refusal.message == "not a regular file":
                    continue
                raise Refused(refusal.status, f"{entry[:80]!r}: {refusal.message}") from None
    if not matches:
        raise Refused(404, f"{entry[:80]!r}: no file matches")
    return matches


@dataclass(frozen=True)
class Stamped:
    """One line of one file, with the time it sorts by and the order of its file."""

    moment: float
    order: int
    element: str


@dataclass
class Read:
    """One file's lines read back for a merge: text and elements, the times of its lines, the time of the record
    the first one continues (None: unknown), and whether they reach the file's first and last lines."""

    texts: list[str]
    elements: list[str]
    times: LineTimes
    before: float | None
    first: bool
    last: bool


def stamped(order: int, texts: list[str], elements: list[str], times: LineTimes, before: float | None) -> list[Stamped]:
    """A file's lines (text and element) with their times (``times``: the file's): a line without a stamp takes
    the one before it (the first lines, ``before``: the time of the record they continue; without one, the first
    stamp's)."""
    moments = [times.of(text) for text in texts]
    known = before if before is not None else next((m for m in moments if m is not None), float("-inf"))
    found = []
    for moment, element in zip(moments, elements, strict=True):
        known = moment if moment is not None else known
        found.append(Stamped(known, order, element))
    return found


def merged(files: Iterable[list[Stamped]]) -> Iterator[Stamped]:
    """The lines of every file in time order, ties in the files' order, each file's own order kept."""
    return heapq.merge(*files, key=lambda line: (line.moment, line.order))


def text_of(element: str) -> str:
    """A line element's text."""
    return html.unescape(_TAGS.sub("", element))
