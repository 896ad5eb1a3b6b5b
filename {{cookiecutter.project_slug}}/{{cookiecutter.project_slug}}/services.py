"""What the routes of one log viewer share in a worker, kept in ``app.extensions["log_viewer"]``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, Response, current_app, request
from werkzeug.wsgi import ClosingIterator

from .clients import Clients
from .config import Settings
from .feeds import Feeds
from .indexes import Indexes
from .merged import Named, named_files
from .paths import AllowedPaths
from .peers import Cluster
from .slots import Slots
from .state import private_directory
from .unpacked import Unpacker
from .watcher import WatcherPool


@dataclass
class Services:
    """One viewer's settings, paths, watchers, feeds, caps, client clock and cluster."""

    opts: Settings  # the options marked ``blueprint``
    title: str
    paths: AllowedPaths
    cluster: Cluster
    watchers: WatcherPool = field(init=False)
    feeds: Feeds = field(default_factory=Feeds)
    slots: Slots = field(init=False)  # open streams
    searches: Slots = field(init=False)  # running searches
    clients: Clients = field(init=False)
    unpacker: Unpacker = field(init=False)
    indexes: Indexes = field(init=False)  # of the timelines

    def __post_init__(self) -> None:
        opts = self.opts
        self.watchers = WatcherPool(opts.poll_interval, opts.heartbeat_seconds)
        self.slots = Slots(opts.max_streams)
        self.searches = Slots(opts.max_searches)
        self.clients = Clients(opts.stall_seconds, opts.batch_bytes, opts.heartbeat_seconds)
        self.unpacker = Unpacker(self.state_directory)
        self.indexes = Indexes(self.state_directory)

    def state_directory(self) -> Path:
        """Where offset files, unpacked copies and indexes go: the configured directory, or a private one per worker."""
        if self.opts.state_directory is None:
            if "log_viewer_state" not in current_app.extensions:
                current_app.extensions["log_viewer_state"] = private_directory()
            return current_app.extensions["log_viewer_state"]
        Path(self.opts.state_directory).mkdir(parents=True, exist_ok=True)
        return Path(self.opts.state_directory)

    def named_files(self, values: list[str]) -> list[Named]:
        """The files ``files=`` names in this request (``merged.named_files``), another node's among them; in a
        cluster, this node's are named ``@node/path`` too (the page's requests may reach any node)."""
        named = named_files(
            values,
            self.paths,
            lambda entry: self.cluster.elsewhere(entry, request.headers)[0],
            lambda node: self.cluster.files_of(node, request.headers),
        )
        if not self.cluster.enabled:
            return named
        here = f"@{self.cluster.node_name}/"
        return [Named(here + entry.name, entry.log_file) if entry.log_file else entry for entry in named]

    def watched(self, events: Iterator[bytes], *closers: Callable[[], None]) -> Response:
        """An event stream whose client is watched (under gunicorn); ``closers`` run when it ends."""
        watch = self.clients.watch(request.environ)

        def close() -> None:
            if watch:
                watch.close()
            for closer in closers:
                closer()

        return event_stream(watch.guard(events), close, as_bytes=True) if watch else event_stream(events, close)


def services() -> Services:
    """The services of the log viewer serving this request."""
    return current_app.extensions["log_viewer"][request.blueprint]


def end_streams(app: Flask) -> None:
    """End the open streams of every log viewer in ``app`` (worker shutdown)."""
    for each in app.extensions.get("log_viewer", {}).values():
        each.watchers.close()


def event_stream(
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
