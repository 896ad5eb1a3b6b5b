"""``P/timeline``: how many lines of each level a file and its rotated siblings have (or several files, ``files=``),
bucket by bucket in time."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, jsonify, request

from . import family, levels, merged, timeline
from .moments import parse_moment
from .params import whole
from .services import services


def _moment(name: str) -> float | None:
    """A request's ``from`` or ``to``: a time as in ``?at=`` (None when absent); else a ``400`` that says so."""
    text = request.args.get(name)
    if text is None or text == "":
        return None
    moment = parse_moment(text)
    if moment is None:
        abort(400, f"{name} must be a time such as 2026-11-25T03:00:00 (a zone may follow), not {text[:40]!r}")
    return moment


def _asked() -> timeline.Asked:
    return timeline.Asked(
        whole("buckets", request.args.get("buckets"), timeline.DEFAULT_BUCKETS, *timeline.BUCKETS),
        _moment("from"),
        _moment("to"),
        levels.parse_level(request.args.get("level")),
    )


def _answer(name: str, logs: list[Path]) -> Response:
    """The timeline of the families of ``logs`` together (their files oldest first, one log after another)."""
    asked, here = _asked(), services()
    files = [(member, here.indexes.of(member)) for log in logs for member in family.members(log)]
    readable = [(member, index) for member, index in files if index is not None]
    response = jsonify(timeline.answer(name, readable, asked))
    response.headers["Cache-Control"] = "no-cache"
    return response


def timeline_of(path: str) -> Response:
    log_file = services().paths.resolve(path)
    return _answer(log_file.name, [log_file.path])


def timeline_of_files() -> Response:
    """``P/timeline?files=a.log,b.log``: the timeline of several files (and their siblings) together."""
    named = services().named_files(request.args.getlist("files"))
    far = [entry.name for entry in named if entry.log_file is None]
    if far:
        abort(400, f"{far[0][:80]!r}: a timeline of several files counts this node's; another node's has its own")
    logs = merged.local(named)
    return _answer(",".join(log_file.name for log_file in logs), [log_file.path for log_file in logs])


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/timeline", view_func=timeline_of_files)
    blueprint.add_url_rule("/timeline/<path:path>", endpoint="timeline", view_func=timeline_of)
