"""``P/timeline``: how many lines of each level a file and its rotated siblings have (or several files, ``files=``),
bucket by bucket in time."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, jsonify, request

from . import afar, family, levels, node_timelines, timeline
from .family import Member
from .granules import Index
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


def _indexed(logs: list[Path]) -> list[tuple[Member, Index]]:
    """The indexes of the families of ``logs`` (their files oldest first, one log after another)."""
    files = [(member, services().indexes.of(member)) for log in logs for member in family.members(log)]
    return [(member, index) for member, index in files if index is not None]


def _json(answer: dict) -> Response:
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-cache"
    return response


def timeline_of(path: str) -> Response:
    log_file = services().paths.resolve(path)
    return _json(timeline.answer(log_file.name, _indexed([log_file.path]), _asked()))


def timeline_of_files() -> Response:
    """``P/timeline?files=a.log,@node-b/b.log``: the timeline of several files (and their siblings) together,
    another node's counted by that node (``node_timelines``)."""
    here = services()
    named = here.named_files(request.args.getlist("files"))
    asked, name = _asked(), ",".join(entry.name for entry in named)
    files = _indexed([entry.log_file.path for entry in named if entry.log_file])
    far = [afar.afar(entry) for entry in named if entry.log_file is None]
    if not far:
        return _json(timeline.answer(name, files, asked))
    query = {key: value for key, value in request.args.items() if key != "files"}
    return _json(node_timelines.across(name, files, far, asked, query, here.cluster, request.headers))


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/timeline", view_func=timeline_of_files)
    blueprint.add_url_rule("/timeline/<path:path>", endpoint="timeline", view_func=timeline_of)
