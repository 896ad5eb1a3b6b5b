"""Live streams: one log (``P/stream``), several merged by time (``P/stream?files=``), or several on one
connection (``P/streams``: every tab of a browser)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from flask import Blueprint, Response, request

from . import interleave, levels, multiplex, relay, sse
from .clients import beats_for
from .cursor import Cursor
from .demo import demo_stream
from .feeds import Reader
from .params import wants_plain_text
from .refused import Refused, reason
from .services import event_stream, services
from .streams import follow
from .tailer import Tailer

Opened = tuple[Iterator[bytes], Callable[[], None]]  # a stream's events, and what ends it
MERGED = "files="  # a P/streams subscription's path for several logs merged: files=a.log,b.log


def _cursor(last_event_id: str) -> Cursor | None:
    """The cursor a stream resumes from (None: from the backlog); ``Refused`` when it is not one."""
    try:
        cursor = Cursor.decode(last_event_id) if last_event_id else None
    except ValueError:
        raise Refused(400, "Last-Event-ID is not a cursor of this viewer; reload the page to start afresh") from None
    if cursor and cursor.back:
        raise Refused(400, "Last-Event-ID is a line's position, not an event id; open the viewer at it with ?at=")
    return cursor


def open_stream(path: str | None, last_event_id: str, level: str | None) -> Opened:
    """The stream of the log at ``path`` (the demo for None) after ``last_event_id``.

    ``Refused`` (with its status and sentence) when it cannot be served.
    """
    here, opts = services(), services().opts
    if path is None:
        start = int(last_event_id) if last_event_id.isdigit() else 0
        return demo_stream(here.watchers, start, opts.retry_ms), lambda: None
    node, path = here.cluster.elsewhere(path, request.headers)
    if node is not None:
        return relay.stream_of(node, path, last_event_id, level)
    log_file = here.paths.resolve(path)
    floor = levels.parse_level(level)
    cursor = _cursor(last_event_id)
    if not here.slots.acquire():
        raise Refused(503, "too many open streams on this worker; try again shortly")
    state = here.state_directory()  # here: a stream that leaves its feed makes its tailer outside the request

    def tailer_at(cursor: Cursor | None) -> Tailer:
        return Tailer(
            log_file.path,
            state,
            cursor,
            backlog_lines=opts.backlog_lines,
            max_line_length=opts.max_line_length,
            batch_bytes=opts.batch_bytes,
            rotate_wait=opts.rotate_wait_seconds,
            guard=here.paths.still_allowed,
        )

    try:
        reader = Reader(tailer_at(cursor), here.feeds, tailer_at)
    except FileNotFoundError:
        here.slots.release()
        raise Refused(404, "no such log file") from None
    except OSError as error:  # turned into a FIFO, or unreadable, since the path was checked
        here.slots.release()
        raise Refused(403, f"cannot stream this file: {reason(error)}") from None

    def end() -> None:
        reader.close()
        here.slots.release()

    beaten = beats_for(request.environ)  # the heartbeats come from ``clients``
    return follow(reader, here.watchers, opts.retry_ms, plain=wants_plain_text(), floor=floor, beaten=beaten), end


def stream(path: str | None) -> Response:
    if path is None and "files" in request.args:
        return merged_stream()
    events, end = open_stream(path, request.headers.get("Last-Event-ID", "").strip(), request.args.get("level"))
    return services().watched(events, end) if path is not None else event_stream(events)


def merged_stream() -> Response:
    """``P/stream?files=a.log,b.log``: the files' live lines as one stream, merged by time (``interleave``)."""
    last_event_id = request.headers.get("Last-Event-ID", "").strip()
    events, end = open_merged(request.args.getlist("files"), last_event_id, request.args.get("level"))
    return services().watched(events, end)


def open_merged(files: list[str], last_event_id: str, level: str | None) -> Opened:
    """The merged stream of the files ``files=`` names (``merged.named_files``), after ``last_event_id``."""
    here = services()
    named = here.named_files(files)
    resumes = interleave.resumed(last_event_id, len(named))
    opened: list[tuple[str, Opened]] = []
    try:
        for entry, (event_id, _sent) in zip(named, resumes, strict=True):
            try:
                opened.append((entry.name, open_stream(entry.name, event_id, level)))
            except Refused as refusal:  # another node's, most likely: say which
                raise Refused(refusal.status, f"{entry.name[:80]!r}: {refusal.message}") from None
    except Refused:
        for _name, (_events, end) in opened:
            end()
        raise
    opts = here.opts
    beaten = beats_for(request.environ)
    return interleave.stream(opened, resumes, opts.retry_ms, opts.heartbeat_seconds, beaten), lambda: None


def many_streams() -> Response:
    """Several streams on one connection (``multiplex``): every viewer tab of a browser on one."""
    wanted = multiplex.subscriptions(request.args.getlist("s"), request.args.getlist("c"))
    opened: list[Opened] = []
    for subscription in wanted:
        try:
            opened.append(_subscribed(subscription))
        except Refused as refusal:
            opened.append((iter([sse.failed(refusal.status, refusal.message)]), lambda: None))
    opts = services().opts
    together = multiplex.merged(opened, opts.retry_ms, opts.heartbeat_seconds, beats_for(request.environ))
    return services().watched(together)


def _subscribed(subscription: multiplex.Subscription) -> Opened:
    """A subscription's stream: a log, the demo stream, or several logs merged (its path ``files=a.log,b.log``)."""
    if subscription.path.startswith(MERGED):
        return open_merged([subscription.path.removeprefix(MERGED)], subscription.cursor, subscription.level)
    return open_stream(subscription.path or None, subscription.cursor, subscription.level)


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/stream/", view_func=stream, defaults={"path": None})
    blueprint.add_url_rule("/stream/<path:path>", view_func=stream)
    blueprint.add_url_rule("/streams", view_func=many_streams)
