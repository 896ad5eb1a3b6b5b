"""``@<node>/<path>``: a route for another node's file answers with that node's answer (``peers``).

Every route that serves one file is relayed before it runs (``elsewhere``),
but the stream: ``live`` opens another node's stream itself (``stream_of``),
for ``P/stream`` and for each subscription of ``P/streams`` alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlencode

from flask import Response, request

from . import peers
from .pages import viewer_page
from .refused import Refused
from .services import services

# The routes that serve one file (their endpoints are their paths' first segments, on every node).
RELAYED = frozenset({"view", "lines", "download", "search", "timeline"})


def elsewhere() -> Response | str | None:
    """Before a route: this node's own file goes on to the route; another node's is asked of that node."""
    endpoint = (request.endpoint or "").rpartition(".")[2]
    path = (request.view_args or {}).get("path")
    if endpoint not in RELAYED or not path:
        return None
    cluster = services().cluster
    node, rest = cluster.elsewhere(path, request.headers)
    if node is None:
        request.view_args["path"] = rest
        return None
    answer = cluster.open(node, cluster.target(endpoint, rest, request.query_string), request.headers)
    if answer.status == 200 and endpoint == "view":  # the peer would show it: this node's page, relayed in turn
        answer.close()
        return viewer_page(path, request.args.get("at"))
    if answer.status == 200 and endpoint == "search":
        return services().watched(answer.events(endless=False), answer.close)
    response = Response(answer.chunks(), answer.status, answer.headers)  # its refusal, or its lines and bytes
    response.call_on_close(answer.close)
    return response


def stream_of(
    node: str, path: str, last_event_id: str, level: str | None
) -> tuple[Iterator[bytes], Callable[[], None]]:
    """The stream of another node's log, through this node: its events, and what ends it."""
    cluster = services().cluster
    asked = {"Accept": "text/event-stream", "Last-Event-ID": last_event_id}
    asked |= {"Authorization": request.headers["Authorization"]} if "Authorization" in request.headers else {}
    query = urlencode({"level": level} if level else {}).encode()
    answer = cluster.open(node, cluster.target("stream", path, query), asked)
    if answer.status != 200:
        raise Refused(answer.status, peers.error_sentence(answer.text()))
    return answer.events(endless=True), answer.close
