"""``@<node>/<path>``: a route for another node's file answers with that node's answer (``peers``)."""

from __future__ import annotations

from flask import Response, request

from .pages import viewer_page
from .services import services

# The routes that serve one file, and the name of each on a peer.
RELAYED = {
    "view": "view",
    "stream": "stream",
    "lines": "lines",
    "download": "download",
    "search_files": "search",
    "timeline": "timeline",
}


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
    answer = cluster.open(node, cluster.target(RELAYED[endpoint], rest, request.query_string), request.headers)
    if answer.status == 200 and endpoint == "view":  # the peer would show it: this node's page, relayed in turn
        answer.close()
        return viewer_page(path, request.args.get("at"))
    if answer.status == 200 and endpoint in ("stream", "search_files"):
        return services().watched(answer.events(endless=endpoint == "stream"), answer.close)
    response = Response(answer.chunks(), answer.status, answer.headers)  # its refusal, or its lines and bytes
    response.call_on_close(answer.close)
    return response
