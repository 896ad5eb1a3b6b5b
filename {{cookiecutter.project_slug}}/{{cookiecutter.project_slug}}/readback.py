"""Reading back: lines before or from a position (``P/lines``; several files merged, ``P/lines?files=``), and the
whole file (``P/download``)."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, Response, abort, request, send_file

from . import history, levels, merged, sse
from .cursor import Cursor, positions
from .moments import LineTimes, first_at_or_after, time_of
from .params import limit
from .paths import LogFile
from .refused import reason
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
        holder, position = history.locate(log_path, at)
        return holder, _read_at(holder, position, backwards, count)
    except FileNotFoundError:
        abort(404, "no such log file")
    except OSError as error:
        abort(403, f"cannot read this file: {reason(error)}")


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
    return response


def merged_lines() -> Response:
    """``P/lines?files=a.log,b.log``: the lines of several files merged by time (``merged``)."""
    files = merged.local(merged.named_files(request.args.getlist("files"), services().paths))
    at, backwards, count, floor = _asked()
    stamped, first, last = [], True, True
    for order, (log_file, found) in enumerate(_read_files(files, at, backwards, count)):
        texts, elements = _shown(found, floor, log_file.name)
        times = LineTimes(os.stat(found.path).st_mtime)
        continued = found.lines and times.of(found.lines[0]) is None  # it starts inside a record: read its time
        before = _record_moment(found.path, found.starts[0]) if continued else None
        stamped.append(merged.stamped(order, texts, elements, times, before))
        first, last = first and found.at_first, last and found.at_last
    lines = list(merged.merged(stamped))
    from_the_end = backwards or at is None
    kept = lines[-count:] if from_the_end else lines[:count]
    if len(kept) < len(lines):  # lines left out at one end: the answer does not reach that end
        first, last = first and not from_the_end, last and from_the_end
    return _answer([line.element for line in kept], first, last)


def _read_files(
    files: list[LogFile], at: history.At | None, backwards: bool, count: int
) -> list[tuple[LogFile, history.Lines]]:
    """``count`` lines of each file around ``at``: a time is each file's own place; a line's position is its
    file's, and the time of that line every other file's (those named before it: lines of that time before it)."""
    if isinstance(at, int):
        abort(400, "a byte offset is a place in one file: with files=, ask for a time or a line's position")
    anchor, moment = None, at if isinstance(at, float) else None
    if isinstance(at, Cursor):
        anchor, holder, position = _holder(files, at)
        moment = _record_moment(services().unpacker.plain(holder)[0], position)
    found = []
    for order, log_file in enumerate(files):
        path = str(log_file.path)
        if order == anchor:
            found.append((log_file, _read_at(holder, position, backwards, count)))
        elif at is None:
            found.append((log_file, history.read_last(path, count, services().opts.max_line_length)))
        else:
            tie = _AFTER if anchor is not None and order < anchor else 0.0
            start = 0 if at == history.START or moment is None else first_at_or_after(path, moment + tie)
            found.append((log_file, _read_at(path, start, backwards, count)))
    return found


def _holder(files: list[LogFile], at: Cursor) -> tuple[int, str, int]:
    """Which of the files a line's position is in (its order), the file that holds it, and the line's start."""
    refusal = None
    for order, log_file in enumerate(files):
        try:
            holder, position = history.locate(log_file.path, at)
            return order, holder, position
        except history.AtRefused as refused:
            if refused.status == 410 and refusal is None:  # its file, but the line is gone
                refusal = refused
    raise refusal or history.AtRefused(400, "that position belongs to none of these files")


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
