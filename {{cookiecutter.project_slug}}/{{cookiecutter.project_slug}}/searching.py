"""``P/search``: the file and its rotated siblings, searched on the server (``search``), its matches streamed; with
``files=``, several files and their siblings, the matches in time order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from flask import Blueprint, Response, abort, request
from werkzeug.exceptions import HTTPException

from . import afar, levels, merged_matches, ripgrep, search
from .params import limit
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


def _searched(logs: list[tuple[str, Path]], query: search.Query, rg: str) -> Iterator[bytes]:
    """The search of each log (its name as its matches name it, its path) and its rotated siblings, as events
    (a slot taken: ``_slot``)."""
    files = [(Path(name).parent / file.name, file) for name, path in logs for file in search.files_to_search(path)]
    names = [name.as_posix() for name, _file in files]
    return search.search([file for _name, file in files], names, query, rg, services().opts.max_line_length)


def _slot() -> None:
    """One of the worker's search slots, or a 429 that says why not."""
    here = services()
    if not here.searches.acquire():
        abort(429, f"{here.opts.max_searches} searches are already running on this worker; try again when one ends")


def search_log(path: str) -> Response:
    log_file = services().paths.resolve(path)
    query, rg = _query()
    _slot()
    return services().watched(_searched([(log_file.name, log_file.path)], query, rg), services().searches.release)


def search_merged() -> Response:
    """``P/search?files=a.log,@node-b/b.log``: every file and its siblings searched, another node's by that node
    (``afar``); the matches in time order."""
    here = services()
    named = here.named_files(request.args.getlist("files"))
    query, rg = _query()
    asked = {name: values for name, values in request.args.lists() if name != "files"}
    far = [afar.afar(entry) for entry in named if entry.log_file is None]
    searched = afar.searches(here.cluster, far, asked, request.headers) if far else []
    closers = [close for _events, close in searched]
    try:
        _slot()
    except HTTPException:
        for close in closers:
            close()
        raise
    here_too = [(entry.name, entry.log_file.path) for entry in named if entry.log_file]
    sources = [_searched(here_too, query, rg), *(events for events, _close in searched)]
    events = merged_matches.matches_in_time_order(merged_matches.together(sources, query.limit), query.limit)
    return here.watched(events, here.searches.release, *closers)


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/search", view_func=search_merged)
    blueprint.add_url_rule("/search/<path:path>", endpoint="search", view_func=search_log)
