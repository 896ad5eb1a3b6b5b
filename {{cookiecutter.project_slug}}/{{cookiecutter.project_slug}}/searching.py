"""``P/search``: the file and its rotated siblings, searched on the server (``search``), its matches streamed."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, request

from . import levels, ripgrep, search
from .params import limit
from .services import services

MAX_MATCHES = 100_000  # matches one search may ask for


def search_log(path: str) -> Response:
    here = services()
    log_file = here.paths.resolve(path)
    query = search.Query(
        request.args.get("q", ""),
        regex=request.args.get("regex") == "1",
        case=request.args.get("case") == "1",
        limit=limit(request.args.get("limit"), default=search.DEFAULT_LIMIT, high=MAX_MATCHES),
        level=levels.parse_level(request.args.get("level")),
    )
    rg = ripgrep.find()
    search.check(query, rg)
    files = search.files_to_search(log_file.path)
    names = [(Path(log_file.name).parent / file.name).as_posix() for file in files]
    if not here.searches.acquire():
        abort(429, f"{here.opts.max_searches} searches are already running on this worker; try again when one ends")
    return here.watched(search.search(files, names, query, rg, here.opts.max_line_length), here.searches.release)


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/search/<path:path>", endpoint="search", view_func=search_log)
