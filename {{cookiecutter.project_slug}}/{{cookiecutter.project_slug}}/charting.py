"""``P/timeline``: how many lines of each level a file and its rotated siblings have, bucket by bucket in time."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request

from . import family, levels, timeline
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


def timeline_of(path: str) -> Response:
    here = services()
    log_file = here.paths.resolve(path)
    asked = timeline.Asked(
        whole("buckets", request.args.get("buckets"), timeline.DEFAULT_BUCKETS, *timeline.BUCKETS),
        _moment("from"),
        _moment("to"),
        levels.parse_level(request.args.get("level")),
    )
    files = [(member, here.indexes.of(member)) for member in family.members(log_file.path)]
    readable = [(member, index) for member, index in files if index is not None]
    response = jsonify(timeline.answer(log_file.name, readable, asked))
    response.headers["Cache-Control"] = "no-cache"
    return response


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/timeline/<path:path>", endpoint="timeline", view_func=timeline_of)
