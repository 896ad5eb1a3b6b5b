"""Reading back: lines before or from a position (``P/lines``), and the whole file (``P/download``)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, request, send_file

from . import history, levels, sse
from .cursor import positions
from .params import limit
from .refused import reason
from .services import services

MAX_LINES = 5000  # lines one request may ask for
LEVEL_CONTEXT = 200  # lines read before lines read back that continue a record: the longest record so levelled


def _levels_of(found: history.Lines, max_line_length: int) -> list[str | None]:
    """The levels of lines read back; when the first continues a record, that record is read too, for its level."""
    context: list[str] = []
    if found.lines and not found.at_first and levels.continues(found.lines[0]):
        context = history.read_before(found.path, found.starts[0], LEVEL_CONTEXT, max_line_length).lines
    return levels.Levels().of(context + found.lines)[len(context) :]


def _read(log_path: Path, before: str | None, start: str | None, count: int) -> tuple[str, history.Lines]:
    """The file that holds the lines asked for, and the lines: the last ``count``, or around a position."""
    max_line_length = services().opts.max_line_length
    try:
        if before is None and start is None:
            return str(log_path), history.read_last(str(log_path), count, max_line_length)
        holder, position = history.locate(log_path, history.parse_at(before or start or ""))
        read = history.read_before if before is not None else history.read_from
        source, identity = services().unpacker.plain(holder)  # a compressed sibling is read from its plain copy
        return holder, read(source, position, count, max_line_length, identity)
    except FileNotFoundError:
        abort(404, "no such log file")
    except OSError as error:
        abort(403, f"cannot read this file: {reason(error)}")


def lines(path: str) -> Response:
    log_file = services().paths.resolve(path)
    count = limit(request.args.get("limit"), default=200, high=MAX_LINES)
    floor = levels.parse_level(request.args.get("level"))
    before, start = request.args.get("before"), request.args.get("from")
    if before is not None and start is not None:
        abort(400, "ask for the lines before a position or from one, not both")
    holder, found = _read(log_file.path, before, start, count)
    lines, starts, found_levels = found.lines, found.starts, _levels_of(found, services().opts.max_line_length)
    if floor:
        found_levels, lines, starts = levels.kept(floor, found_levels, lines, starts)
    elements = sse.line_elements(lines, positions(found.anchor, starts), found_levels)
    response = Response("\n".join(elements), mimetype="text/html")
    # Which file held them (a rotated sibling, after rotation) and whether they reach its ends.
    response.headers["X-Log-File"] = (Path(log_file.name).parent / Path(holder).name).as_posix()
    response.headers["X-Log-First"] = "1" if found.at_first else "0"
    response.headers["X-Log-Last"] = "1" if found.at_last else "0"
    response.headers["Cache-Control"] = "no-cache"
    return response


def download(path: str) -> Response:
    log_file = services().paths.resolve(path)
    return send_file(log_file.path, mimetype="text/plain", as_attachment=True, download_name=Path(path).name)


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/lines/<path:path>", view_func=lines)
    blueprint.add_url_rule("/download/<path:path>", view_func=download)
