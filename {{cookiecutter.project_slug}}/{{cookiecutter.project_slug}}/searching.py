"""``P/search``: the file and its rotated siblings, searched on the server (``search``), its matches streamed; with
``files=``, several files and their siblings, the matches in time order."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, request

from . import levels, merged, ripgrep, search
from .params import limit
from .paths import LogFile
from .services import services

MAX_MATCHES = 100_000  # matches one search may ask for


def _query() -> tuple[search.Query, str]:
    """The search a request asks for, checked, and the ripgrep that runs it."""
    query = search.Query(
        request.args.get("q", ""),
        regex=request.args.get("regex") == "1",
        case=request.args.get("case") == "1",
        limit=limit(request.args.get("limit"), default=search.DEFAULT_LIMIT, high=MAX_MATCHES),
        level=levels.parse_level(request.args.get("level")),
    )
    rg = ripgrep.find()
    search.check(query, rg)
    return query, rg


def _searched(logs: list[LogFile], query: search.Query, rg: str, in_time_order: bool = False) -> Response:
    """The search of each log and its rotated siblings, as one event stream (in time order: merged)."""
    here = services()
    files = [file for log_file in logs for file in search.files_to_search(log_file.path)]
    names = [
        (Path(log_file.name).parent / file.name).as_posix()
        for log_file in logs
        for file in search.files_to_search(log_file.path)
    ]
    if not here.searches.acquire():
        abort(429, f"{here.opts.max_searches} searches are already running on this worker; try again when one ends")
    events = search.search(files, names, query, rg, here.opts.max_line_length)
    return here.watched(merged.matches_in_time_order(events) if in_time_order else events, here.searches.release)


def search_log(path: str) -> Response:
    log_file = services().paths.resolve(path)
    return _searched([log_file], *_query())


def search_merged() -> Response:
    """``P/search?files=a.log,b.log``: every file and its siblings searched; the matches in time order."""
    logs = merged.local(merged.named_files(request.args.getlist("files"), services().paths))
    return _searched(logs, *_query(), in_time_order=True)


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/search", view_func=search_merged)
    blueprint.add_url_rule("/search/<path:path>", endpoint="search", view_func=search_log)
