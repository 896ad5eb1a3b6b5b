"""log_viewer_blueprint(): one log viewer's blueprint, its services and its routes (each module one concern).

The routes live by what they serve: ``pages`` (index, viewer), ``readback``
(lines, download), ``live`` (stream, streams), ``searching`` (search) and
``charting`` (timeline);
``relay`` answers for another node's files. What they share, one ``Services``
per viewer, is kept in ``app.extensions["log_viewer"]``.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, Response, request
from werkzeug.exceptions import default_exceptions

from . import charting, live, pages, peers, readback, relay, searching
from .auth import Guard
from .config import blueprint_options
from .paths import AllowedPaths
from .refused import Refused
from .services import Services
from .state import sweep


def _refused(refusal: Refused) -> Response:
    """A path, position or search the modules refused: its status, and its sentence."""
    return default_exceptions[refusal.status](refusal.message).get_response()


def log_viewer_blueprint(
    base_path: str | os.PathLike,
    allowed_directories: list[str | os.PathLike] | None = None,
    *,
    any_subdirectory: bool = False,
    guard: Guard | None = None,
    title: str = "Log viewer",
    name: str = "log_viewer",
    port: int = 0,
    **options: object,
) -> Blueprint:
    """A fresh blueprint serving the viewer, index, streams and downloads of ``base_path``.

    ``allowed_directories`` lists the directories whose files may be viewed
    (``base_path`` is always one; every subdirectory with ``any_subdirectory``);
    ``guard`` answers instead of a route when it returns a response (auth);
    ``name`` tells two viewers in one app apart; ``port`` is the service's own,
    for peers named without one. ``options`` are the settings
    marked ``blueprint`` in ``config.Settings`` (``backlog_lines``, ``max_streams``, ...).
    """
    opts = blueprint_options(options)
    shared = Services(
        opts,
        title,
        AllowedPaths(base_path, list(allowed_directories or []), any_subdirectory),
        peers.Cluster(opts.node_name, opts.peers, port, opts.peer_timeout_seconds, opts.heartbeat_seconds),
    )
    blueprint = Blueprint(name, __name__, template_folder="templates", static_folder="static")

    @blueprint.record_once
    def register(state) -> None:
        state.app.extensions.setdefault("log_viewer", {})[f"{state.name_prefix}.{state.name}".lstrip(".")] = shared
        shared.cluster.prefix = state.url_prefix or ""
        # What workers killed before they could clean up left (each worker builds its app as it starts).
        sweep(Path(opts.state_directory) if opts.state_directory else None)

    @blueprint.before_request
    def check_credentials() -> Response | None:
        if guard and request.endpoint != f"{request.blueprint}.static":
            return guard()
        return None

    blueprint.before_request(relay.elsewhere)
    blueprint.register_error_handler(Refused, _refused)
    for routes in (pages, readback, live, searching, charting):
        routes.register(blueprint)
    return blueprint
