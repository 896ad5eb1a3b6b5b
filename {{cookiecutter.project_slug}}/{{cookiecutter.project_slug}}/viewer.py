"""log_viewer_blueprint(): the routes, thin; paths, tailing and framing live elsewhere."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, render_template, request, send_file
from werkzeug.exceptions import default_exceptions
from werkzeug.wsgi import ClosingIterator

from . import family, history, levels, multiplex, peers, search, sse
from .auth import Guard
from .clients import Clients, beats_for
from .config import blueprint_options
from .cursor import Cursor, positions
from .demo import demo_stream
from .feeds import Feeds, Reader
from .paths import AllowedPaths
from .refused import Refused, reason
from .slots import Slots
from .state import private_directory, sweep
from .streams import follow
from .tailer import Tailer
from .unpacked import Unpacker
from .watcher import WatcherPool

RELAYED = {"view": "view", "stream": "stream", "lines": "lines", "download": "download", "search_files": "search"}
MAX_LINES = 5000
MAX_MATCHES = 100_000
LEVEL_CONTEXT = 200  # lines read before lines read back that continue a record: the longest record so levelled


def _event_stream(
    events: Iterable[str | bytes], on_close: Callable[[], None] | None = None, as_bytes: bool = False
) -> Response:
    """An event stream response; ``as_bytes``: ``events`` are bytes, handed to the server as they are.

    As they are, not through werkzeug's encoding generator: a waiting stream's
    greenlet then saves one frame fewer of C stack (about a KiB of each idle stream).
    """
    if as_bytes:
        response = Response(ClosingIterator(events, on_close), mimetype="text/event-stream", direct_passthrough=True)
    else:
        response = Response(events, mimetype="text/event-stream")
        if on_close:
            response.call_on_close(on_close)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def wants_plain_text() -> bool:
    """``Accept: text/plain`` preferred to ``text/event-stream`` and ``text/html``: raw lines, for scripts."""
    accept = request.accept_mimetypes
    offered = [kind for kind, _quality in accept if kind in ("text/plain", "text/event-stream", "text/html")]
    ranked = sorted(offered, key=lambda kind: -accept[kind])  # stable: the header's order breaks ties
    return bool(ranked) and ranked[0] == "text/plain"


def _limit(text: str | None, default: int = 200, high: int = MAX_LINES) -> int:
    """A request's ``limit``: 1 to ``high``, ``default`` when absent."""
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= high):
        abort(400, f"limit must be a whole number from 1 to {high}")
    return int(text)


def _levels_of(found: history.Lines, max_line_length: int) -> list[str | None]:
    """The levels of lines read back; when the first continues a record, that record is read too, for its level."""
    context: list[str] = []
    if found.lines and not found.at_first and levels.continues(found.lines[0]):
        context = history.read_before(found.path, found.starts[0], LEVEL_CONTEXT, max_line_length).lines
    return levels.Levels().of(context + found.lines)[len(context) :]


def end_streams(app: Flask) -> None:
    """End the open streams of every log viewer in ``app`` (worker shutdown)."""
    for watchers in app.extensions.get("log_viewer", []):
        watchers.close()


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
    paths = AllowedPaths(base_path, list(allowed_directories or []), any_subdirectory)
    watchers = WatcherPool(opts.poll_interval, opts.heartbeat_seconds)
    feeds = Feeds()
    slots = Slots(opts.max_streams)
    searches = Slots(opts.max_searches)
    clients = Clients(opts.stall_seconds, opts.batch_bytes, opts.heartbeat_seconds)
    cluster = peers.Cluster(opts.node_name, opts.peers, port, opts.peer_timeout_seconds, opts.heartbeat_seconds)
    blueprint = Blueprint(name, __name__, template_folder="templates", static_folder="static")

    @blueprint.record_once
    def register(state) -> None:
        state.app.extensions.setdefault("log_viewer", []).append(watchers)
        cluster.prefix = state.url_prefix or ""
        # What workers killed before they could clean up left (each worker builds its app as it starts).
        sweep(Path(opts.state_directory) if opts.state_directory else None)

    @blueprint.before_request
    def check_credentials() -> Response | None:
        if guard and request.endpoint != f"{blueprint.name}.static":
            return guard()
        return None

    @blueprint.before_request
    def elsewhere() -> Response | None:
        """``@<node>/<path>``: this node's own file, or the answer of the peer holding it (``peers``)."""
        endpoint = (request.endpoint or "").rpartition(".")[2]
        path = (request.view_args or {}).get("path")
        if endpoint not in RELAYED or not path:
            return None
        node, rest = cluster.elsewhere(path, request.headers)
        if node is None:
            request.view_args["path"] = rest
            return None
        answer = cluster.open(node, cluster.target(RELAYED[endpoint], rest, request.query_string), request.headers)
        if answer.status == 200 and endpoint == "view":  # the peer would show it: this node's page, relayed in turn
            answer.close()
            return viewer_page(path, request.args.get("at"))
        if answer.status == 200 and endpoint in ("stream", "search_files"):
            return watched(answer.events(endless=endpoint == "stream"), answer.close)
        response = Response(answer.chunks(), answer.status, answer.headers)  # its refusal, or its lines and bytes
        response.call_on_close(answer.close)
        return response

    def state_directory() -> Path:
        if opts.state_directory is None:
            if "log_viewer_state" not in current_app.extensions:
                current_app.extensions["log_viewer_state"] = private_directory()
            return current_app.extensions["log_viewer_state"]
        Path(opts.state_directory).mkdir(parents=True, exist_ok=True)
        return Path(opts.state_directory)

    unpacker = Unpacker(state_directory)

    @blueprint.errorhandler(Refused)
    def refused(refusal: Refused) -> Response:
        """A path, position or search the modules refused: its status, and its sentence."""
        return default_exceptions[refusal.status](refusal.message).get_response()

    def watched(events: Iterator[bytes], *closers: Callable[[], None]) -> Response:
        """An event stream whose client is watched (under gunicorn); ``closers`` run when it ends."""
        watch = clients.watch(request.environ)

        def close() -> None:
            if watch:
                watch.close()
            for closer in closers:
                closer()

        return _event_stream(watch.guard(events), close, as_bytes=True) if watch else _event_stream(events, close)

    def files_here() -> list[dict]:
        return [
            {
                "name": log_file.name,
                "size": info.st_size,
                "modified": datetime.fromtimestamp(info.st_mtime, UTC),
                "readable": log_file.readable,
                "compressed": bool(family.compression_of(log_file.name)),  # read through its log, or downloaded
            }
            for log_file, info in paths.listing()
        ]

    @blueprint.get("/")
    def index() -> str:
        here = peers.Node(cluster.node_name, "this node", "up", files_here())
        nodes = [here, *cluster.survey(request.headers)] if cluster.enabled else [here]
        for node in nodes[1:]:
            for file in node.files:
                file["modified"] = datetime.fromisoformat(file["modified"])
        return render_template(
            "log_viewer/index.html",
            nodes=nodes,
            cluster=cluster.enabled,
            title=title,
            directory_exists=paths.base.is_dir(),
        )

    @blueprint.get("/files")
    def files() -> Response:
        """This node's files, for the other nodes' index (never asks a peer: no loop)."""
        listed = [file | {"modified": file["modified"].isoformat()} for file in files_here()]
        return jsonify(node=cluster.node_name, files=listed)

    def viewer_page(name: str | None, at: str | None) -> str:
        """The viewer of ``name`` (``@node/path`` in a cluster: the page's requests reach that node)."""
        if at is not None and name is not None:
            history.parse_at(at)  # a malformed one is refused here, not in the page
        node = peers.split(name)[0] if name else None
        return render_template(
            "log_viewer/viewer.html",
            path=name,
            node=f"@{node}/" if node else "",
            at=at if name else None,
            level=levels.parse_level(request.args.get("level")),
            levels=levels.LEVELS,
            title=title,
            line_cap=opts.line_cap,
        )

    @blueprint.get("/view/", defaults={"path": None})
    @blueprint.get("/view/<path:path>")
    def view(path: str | None) -> str:
        log_file = paths.resolve(path) if path is not None else None
        name = log_file.name if log_file else None
        if name and cluster.enabled:
            name = f"@{cluster.node_name}/{name}"  # the same file whichever node the page's requests reach
        return viewer_page(name, request.args.get("at"))

    @blueprint.get("/lines/<path:path>")
    def lines(path: str) -> Response:
        log_file = paths.resolve(path)
        limit = _limit(request.args.get("limit"))
        floor = levels.parse_level(request.args.get("level"))
        before, start = request.args.get("before"), request.args.get("from")
        if before is not None and start is not None:
            abort(400, "ask for the lines before a position or from one, not both")
        try:
            if before is None and start is None:
                holder = str(log_file.path)
                found = history.read_last(holder, limit, opts.max_line_length)
            else:
                holder, position = history.locate(log_file.path, history.parse_at(before or start or ""))
                read = history.read_before if before is not None else history.read_from
                source, identity = unpacker.plain(holder)  # a compressed sibling is read from its plain copy
                found = read(source, position, limit, opts.max_line_length, identity)
        except FileNotFoundError:
            abort(404, "no such log file")
        except OSError as error:
            abort(403, f"cannot read this file: {reason(error)}")
        lines, starts, found_levels = found.lines, found.starts, _levels_of(found, opts.max_line_length)
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

    @blueprint.get("/download/<path:path>")
    def download(path: str) -> Response:
        log_file = paths.resolve(path)
        return send_file(log_file.path, mimetype="text/plain", as_attachment=True, download_name=Path(path).name)

    @blueprint.get("/search/<path:path>")
    def search_files(path: str) -> Response:
        log_file = paths.resolve(path)
        query = search.Query(
            request.args.get("q", ""),
            regex=request.args.get("regex") == "1",
            case=request.args.get("case") == "1",
            limit=_limit(request.args.get("limit"), default=search.DEFAULT_LIMIT, high=MAX_MATCHES),
            level=levels.parse_level(request.args.get("level")),
        )
        rg = search.ripgrep()
        search.check(query, rg)
        files = search.files_to_search(log_file.path)
        names = [(Path(log_file.name).parent / file.name).as_posix() for file in files]
        if not searches.acquire():
            abort(429, f"{opts.max_searches} searches are already running on this worker; try again when one ends")
        return watched(search.search(files, names, query, rg, opts.max_line_length), searches.release)

    def live(path: str | None, last_event_id: str, level: str | None) -> tuple[Iterator[bytes], Callable[[], None]]:
        """The stream of the log at ``path`` (the demo for None) after ``last_event_id``, and what ends it.

        ``Refused`` (with its status and sentence) when it cannot be served.
        """
        if path is None:
            start = int(last_event_id) if last_event_id.isdigit() else 0
            return demo_stream(watchers, start, opts.retry_ms), lambda: None
        node, path = cluster.elsewhere(path, request.headers)
        if node is not None:
            asked = {"Accept": "text/event-stream", "Last-Event-ID": last_event_id}
            asked |= {"Authorization": request.headers["Authorization"]} if "Authorization" in request.headers else {}
            query = urlencode({"level": level} if level else {}).encode()
            answer = cluster.open(node, cluster.target("stream", path, query), asked)
            if answer.status != 200:
                raise Refused(answer.status, peers.error_sentence(answer.text()))
            return answer.events(endless=True), answer.close
        log_file = paths.resolve(path)
        floor = levels.parse_level(level)
        try:
            cursor = Cursor.decode(last_event_id) if last_event_id else None
        except ValueError:
            raise Refused(
                400, "Last-Event-ID is not a cursor of this viewer; reload the page to start afresh"
            ) from None
        if cursor and cursor.back:
            raise Refused(400, "Last-Event-ID is a line's position, not an event id; open the viewer at it with ?at=")
        if not slots.acquire():
            raise Refused(503, "too many open streams on this worker; try again shortly")

        state = state_directory()  # here: a stream that leaves its feed makes its tailer outside the request

        def tailer_at(cursor: Cursor | None) -> Tailer:
            return Tailer(
                log_file.path,
                state,
                cursor,
                backlog_lines=opts.backlog_lines,
                max_line_length=opts.max_line_length,
                batch_bytes=opts.batch_bytes,
                rotate_wait=opts.rotate_wait_seconds,
                guard=paths.still_allowed,
            )

        try:
            reader = Reader(tailer_at(cursor), feeds, tailer_at)
        except FileNotFoundError:
            slots.release()
            raise Refused(404, "no such log file") from None
        except OSError as error:  # turned into a FIFO, or unreadable, since the path was checked
            slots.release()
            raise Refused(403, f"cannot stream this file: {reason(error)}") from None

        def end() -> None:
            reader.close()
            slots.release()

        beaten = beats_for(request.environ)  # the heartbeats come from ``clients``
        return follow(reader, watchers, opts.retry_ms, plain=wants_plain_text(), floor=floor, beaten=beaten), end

    @blueprint.get("/stream/", defaults={"path": None})
    @blueprint.get("/stream/<path:path>")
    def stream(path: str | None) -> Response:
        events, end = live(path, request.headers.get("Last-Event-ID", "").strip(), request.args.get("level"))
        return watched(events, end) if path is not None else _event_stream(events)

    @blueprint.get("/streams")
    def many_streams() -> Response:
        """Several streams on one connection (``multiplex``): every viewer tab of a browser on one."""
        wanted = multiplex.subscriptions(request.args.getlist("s"), request.args.getlist("c"))
        opened = []
        for subscription in wanted:
            try:
                opened.append(live(subscription.path or None, subscription.cursor, subscription.level))
            except Refused as refusal:
                opened.append((iter([sse.failed(refusal.status, refusal.message)]), lambda: None))
        beaten = beats_for(request.environ)
        return watched(multiplex.merged(opened, opts.retry_ms, opts.heartbeat_seconds, beaten))

    return blueprint
