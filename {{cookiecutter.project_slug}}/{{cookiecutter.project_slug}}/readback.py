"""Reading back: lines before or from a position (``P/lines``; several files merged, ``P/lines?files=``), and the
whole file (``P/download``)."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, Response, abort, request, send_file

from . import afar, family, history, levels, merged, sse
from .cursor import Cursor, positions
from .moments import LineTimes, at_first_stamp, exact, first_at_or_after, time_of
from .params import limit
from .refused import Refused, reason
from .services import services

MAX_LINES = 5000  # lines one request may ask for
LEVEL_CONTEXT = 200  # lines read before lines read back that continue a record: the longest record so levelled
_AFTER = 1e-6  # seconds: "after a time" where the first line at or after it is looked for


def _levels_of(found: history.Lines, max_line_length: int) -> list[str | None]:
    """The levels of lines read back; when the first continues a record, that record is read too, for its level."""
    context: list[str] = []
    if found.lines and not found.at_first and levels.continues(found.lines[0]):
        context = history.read_before(found.path, found.starts[0], LEVEL_CONTEXT, max_line_length).lines
    return levels.Levels().of(context + found.lines)[len(context) :]


def _asked() -> tuple[history.At | None, bool, int, str | None]:
    """A read-back's position (None: the end), whether the lines before it are asked for, how many, the level."""
    before, start = request.args.get("before"), request.args.get("from")
    if before is not None and start is not None:
        abort(400, "ask for the lines before a position or from one, not both")
    at = None if before is None and start is None else history.parse_at(before if before is not None else start)
    count = limit(request.args.get("limit"), default=200, high=MAX_LINES)
    return at, before is not None, count, levels.parse_level(request.args.get("level"))


def _read_at(holder: str, position: int, backwards: bool, count: int) -> history.Lines:
    """``count`` lines of ``holder`` before or from ``position`` (a compressed sibling: from its plain copy)."""
    read = history.read_before if backwards else history.read_from
    source, identity = services().unpacker.plain(holder)
    return read(source, position, count, services().opts.max_line_length, identity)


def _read(log_path: Path, at: history.At | None, backwards: bool, count: int) -> tuple[str, history.Lines]:
    """The file that holds the lines asked for, and the lines: the last ``count``, or around a position."""
    try:
        if at is None:
            return str(log_path), history.read_last(str(log_path), count, services().opts.max_line_length)
        holder, position = at_time(log_path, at, backwards) if isinstance(at, float) else history.locate(log_path, at)
        return holder, _read_at(holder, position, backwards, count)
    except FileNotFoundError:
        abort(404, "no such log file")
    except OSError as error:
        abort(403, f"cannot read this file: {reason(error)}")


def at_time(log: Path, moment: float, backwards: bool) -> tuple[str, int]:
    """The member of ``log``'s family (the log, or a rotated sibling: compressed ones read unpacked) that holds
    the first line stamped at or after ``moment``, and that line's start: the newest member whose first stamp is
    before ``moment``. Between two members, a read ``backwards`` starts at the older one's end, a read on at the
    newer one's start. The log alone is read for a time it holds (the siblings only for an earlier one)."""
    newer = None
    for member in reversed(family.members(log)):
        plain = services().unpacker.plain(member.path)[0]
        start, size = first_at_or_after(plain, moment), os.stat(plain).st_size
        if size == 0 or at_first_stamp(plain, start):  # empty, or at or before its first stamp: older?
            newer = member
            continue
        if newer is not None and not backwards and start == size:
            return newer.path, 0  # after its last line: the newer member's first
        return member.path, start
    return (newer.path, 0) if newer else (str(log), 0)


def _shown(found: history.Lines, floor: str | None, file: str | None = None) -> tuple[list[str], list[str]]:
    """The lines read back that a level keeps, as text and as elements (with ``data-file``, when given)."""
    found_levels = _levels_of(found, services().opts.max_line_length)
    texts, starts = found.lines, found.starts
    if floor:
        found_levels, texts, starts = levels.kept(floor, found_levels, texts, starts)
    return texts, sse.line_elements(texts, positions(found.anchor, starts), found_levels, file)


def _answer(elements: list[str], first: bool, last: bool) -> Response:
    response = Response("\n".join(elements), mimetype="text/html")
    response.headers["X-Log-First"] = "1" if first else "0"  # whether they reach the files' ends
    response.headers["X-Log-Last"] = "1" if last else "0"
    response.headers["Cache-Control"] = "no-cache"
    return response


def lines(path: str) -> Response:
    log_file = services().paths.resolve(path)
    at, backwards, count, floor = _asked()
    holder, found = _read(log_file.path, at, backwards, count)
    response = _answer(_shown(found, floor)[1], found.at_first, found.at_last)
    # Which file held them (a rotated sibling, after rotation).
    response.headers["X-Log-File"] = (Path(log_file.name).parent / Path(holder).name).as_posix()
    moment = _first_moment(found, LineTimes(os.stat(found.path).st_mtime))
    if moment is not None:  # the time of the record the first line belongs to: where a merge puts it
        response.headers["X-Log-Time"] = repr(moment)
    return response


def merged_lines() -> Response:
    """``P/lines?files=a.log,@node-b/b.log``: the lines of several files merged by time (``merged``), another
    node's asked of that node (``afar``)."""
    named = services().named_files(request.args.getlist("files"))
    at, backwards, count, floor = _asked()
    reads = _read_files(named, at, backwards, count, floor)
    lines = list(merged.merged(_stamped(reads)))
    first, last = all(read.first for read in reads), all(read.last for read in reads)
    from_the_end = backwards or at is None
    kept = lines[-count:] if from_the_end else lines[:count]
    if len(kept) < len(lines):  # lines left out at one end: the answer does not reach that end
        first, last = first and not from_the_end, last and from_the_end
    return _answer([line.element for line in kept], first, last)


def _stamped(reads: list[merged.Read]) -> list[list[merged.Stamped]]:
    return [merged.stamped(order, r.texts, r.elements, r.times, r.before) for order, r in enumerate(reads)]


Place = float | str | None  # where a file of a merge is read: a time, the start, or (None) the end


def _read_files(
    named: list[merged.Named], at: history.At | None, backwards: bool, count: int, floor: str | None
) -> list[merged.Read]:
    """``count`` lines of each file around ``at``: a time is each file's own place; a line's position is its
    file's, and the time of that line every other file's (those named before it: lines of that time before it)."""
    if isinstance(at, int):
        abort(400, "a byte offset is a place in one file: with files=, ask for a time or a line's position")
    anchor, moment, reads = None, at if isinstance(at, float) else None, {}
    if isinstance(at, Cursor):
        anchor, reads[anchor], moment = _anchored(named, at, backwards, count, floor)
    far = []
    for order, entry in enumerate(named):
        if order == anchor:
            continue
        tie = _AFTER if anchor is not None and order < anchor else 0.0
        place = None if at is None else history.START if at == history.START or moment is None else moment + tie
        if entry.log_file is None:
            far.append((order, afar.afar(entry), _asked_of_node(place, backwards, count, floor)))
        else:
            reads[order] = _local(entry, _read_place(entry.log_file.path, place, backwards, count), floor)
    asks = [(file, asked) for _order, file, asked in far]
    for (order, _file, _asked), read in zip(far, afar.read_all(services().cluster, asks, request.headers), strict=True):
        reads[order] = read
    return [reads[order] for order in range(len(named))]


def _anchored(
    named: list[merged.Named], at: Cursor, backwards: bool, count: int, floor: str | None
) -> tuple[int, merged.Read, float | None]:
    """Which of the files a line's position is in (its order), its lines there, and the time of its record:
    this node's files are looked in first, then each other node is asked of its own."""
    refusal = None
    for order, entry in enumerate(named):
        if entry.log_file is None:
            continue
        try:
            holder, position = history.locate(entry.log_file.path, at)
        except history.AtRefused as refused:
            if refused.status == 410 and refusal is None:  # its file, but the line is gone
                refusal = refused
            continue
        moment = _record_moment(services().unpacker.plain(holder)[0], position)
        return order, _local(entry, _read_at(holder, position, backwards, count), floor), moment
    cluster, text = services().cluster, at.encode()
    far = [(order, afar.afar(entry)) for order, entry in enumerate(named) if entry.log_file is None]
    probes = afar.read_each(cluster, [(file, {"from": text, "limit": "1"}) for _order, file in far], request.headers)
    for (order, file), probe in zip(far, probes, strict=True):  # every node asked at once which file holds it
        if isinstance(probe, Refused):
            if probe.status != 400 and refusal is None:  # its file but gone, or its node silent
                refusal = probe
            continue
        asked = {"before" if backwards else "from": text, "limit": str(count)} | ({"level": floor} if floor else {})
        return order, afar.read(cluster, file, asked, request.headers), probe.before
    raise refusal or history.AtRefused(400, "that position belongs to none of these files")


def _asked_of_node(place: Place, backwards: bool, count: int, floor: str | None) -> dict[str, str]:
    """The query that reads another node's file of a merge at ``place``."""
    asked = {"limit": str(count)} | ({"level": floor} if floor else {})
    if place is not None:
        asked["before" if backwards else "from"] = place if isinstance(place, str) else exact(place)
    return asked


def _read_place(path: Path, place: Place, backwards: bool, count: int) -> history.Lines:
    """``count`` lines of this node's file at ``place``."""
    if place is None:
        return history.read_last(str(path), count, services().opts.max_line_length)
    holder, start = (str(path), 0) if place == history.START else at_time(path, place, backwards)
    return _read_at(holder, start, backwards, count)


def _local(entry: merged.Named, found: history.Lines, floor: str | None) -> merged.Read:
    """This node's lines read back, for a merge."""
    texts, elements = _shown(found, floor, entry.name)
    times = LineTimes(os.stat(found.path).st_mtime)
    return merged.Read(texts, elements, times, _first_moment(found, times), found.at_first, found.at_last)


def _first_moment(found: history.Lines, times: LineTimes) -> float | None:
    """The time of the record the first line read belongs to: its stamp, or the record's it continues."""
    if not found.lines:
        return None
    moment = times.of(found.lines[0])
    return moment if moment is not None else _record_moment(found.path, found.starts[0])


def _record_moment(source: str, position: int) -> float | None:
    """The time of the record the line at ``position`` of a plain file belongs to: its stamp, or the last one
    before it (up to ``LEVEL_CONTEXT`` lines back); None when there is none."""
    max_line_length, written = services().opts.max_line_length, os.stat(source).st_mtime
    for text in history.read_from(source, position, 1, max_line_length).lines:
        if (moment := time_of(text, written)) is not None:
            return moment
    earlier = history.read_before(source, position, LEVEL_CONTEXT, max_line_length).lines
    return next((moment for text in reversed(earlier) if (moment := time_of(text, written)) is not None), None)


def download(path: str) -> Response:
    log_file = services().paths.resolve(path)
    return send_file(log_file.path, mimetype="text/plain", as_attachment=True, download_name=Path(path).name)


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/lines", view_func=merged_lines)
    blueprint.add_url_rule("/lines/<path:path>", view_func=lines)
    blueprint.add_url_rule("/download/<path:path>", view_func=download)
