"""Several nodes, one URL: who the peers are, what files they hold, and the relay to them.

Every node runs this same service. ``LOG_VIEWER_PEERS`` lists the others as
``host:port`` entries, or names one DNS name whose A/AAAA records are the peers
(the DaemonSet's headless Service), resolved again every few seconds. A peer's
name is learned from its own answer (``P/files``), so a list may include this
node too: it is recognised and left out.

A path ``@node-b/app.log`` is relayed: the request goes to node-b with the node
stripped from the path and the browser's credentials, cursor and range headers,
and its answer comes back as it comes, read with gevent sockets (never the
hub's time). A relayed request carries ``X-Log-Viewer-Relay`` and is never
relayed again, and a peer checks it as it would the browser's own.
"""

from __future__ import annotations

import html
import http.client
import ipaddress
import json
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

import gevent
import gevent.socket

from . import sse
from .clients import ClientLeft
from .config import NODE_NAME, parse_peers
from .refused import Refused

RELAY_HEADER = "X-Log-Viewer-Relay"
FORWARDED = ("Authorization", "Last-Event-ID", "Range", "If-Range", "Accept")
RETURNED = frozenset(
    name.lower()
    for name in (
        "Content-Type",
        "Content-Length",
        "Content-Range",
        "Content-Disposition",
        "Accept-Ranges",
        "Cache-Control",
        "Last-Modified",
        "ETag",
        "X-Accel-Buffering",
        "X-Log-File",
        "X-Log-First",
        "X-Log-Last",
        "X-Log-Time",
        "WWW-Authenticate",
    )
)
RESOLVE_SECONDS = 5.0  # how long one DNS answer stands: pods come and go
READ_CHUNK = 64 * 1024

Address = tuple[str, int]


def label(address: Address) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def split(path: str) -> tuple[str | None, str]:
    """``"@node-b/app.log"`` -> ``("node-b", "app.log")``; a path without ``@`` -> ``(None, path)``."""
    if not path.startswith("@"):
        return None, path
    node, slash, rest = path[1:].partition("/")
    if not NODE_NAME.fullmatch(node):
        raise Refused(400, "malformed node name after @ (letters, digits, '.', '_' and '-')")
    if not slash:
        raise Refused(400, f"name a file after @{node}/")
    return node, rest


@dataclass
class Node:
    """One node as the index shows it: up (with its files), down, or refusing these credentials."""

    name: str
    address: str
    state: str  # "up", "down" or "refused"
    files: list[dict] = field(default_factory=list)
    reason: str = ""


class _Connection(http.client.HTTPConnection):
    """An HTTP connection on a gevent socket: it waits without holding the hub, patched or not."""

    def connect(self) -> None:
        self.sock = gevent.socket.create_connection((self.host, self.port), self.timeout)


class Answer:
    """A peer's answer: status and headers at once, the body read as it comes."""

    def __init__(self, node: str, connection: _Connection, response: http.client.HTTPResponse) -> None:
        self.node = node
        self.status = response.status
        self.headers = [(name, value) for name, value in response.getheaders() if name.lower() in RETURNED]
        self._connection = connection
        self._response = response

    def chunks(self) -> Iterator[bytes]:
        """The body, byte for byte, as the peer sends it."""
        try:
            yield from self._read()
        finally:
            self.close()

    def events(self, endless: bool) -> Iterator[bytes]:
        """The body of an event stream in whole events; when it is ``endless`` (a log's), a ``failed`` event
        says the peer ended it.

        Each chunk goes on up to its last event boundary; the rest (part of one
        event) waits for its end. A peer that stops mid-event leaves that part
        unsent, as a browser would drop it, so a cursor never passes lines not shown.
        """
        held: list[bytes] = []
        broke = None  # why the peer's answer broke off, when it did
        try:
            for chunk in self._read():
                edge = (held[-1][-1:] if held else b"") + chunk
                end = edge.rfind(sse.EVENT_END)
                if end < 0:
                    held.append(chunk)
                    continue
                cut = end + len(sse.EVENT_END) - (len(edge) - len(chunk))
                yield b"".join(held) + chunk[:cut]
                held = [chunk[cut:]] if cut < len(chunk) else []
        except ClientLeft:
            raise  # our own client left: nothing more to say to it
        except (OSError, http.client.HTTPException) as error:
            broke = f"stopped answering ({error.__class__.__name__})"
        finally:
            self.close()
        if endless or broke:
            yield sse.failed(502, f"node {self.node} {broke or 'ended the stream'}; reconnecting")

    def _read(self) -> Iterator[bytes]:
        while chunk := self._response.read1(READ_CHUNK):
            yield chunk

    def text(self, limit: int = 64 * 1024) -> str:
        """The body as text (an error page, a file list), read whole up to ``limit`` bytes."""
        try:
            return self._response.read(limit).decode("utf-8", "replace")
        finally:
            self.close()

    def whole(self) -> bytes:
        """The body read whole (an answer of lines, bounded by the route that gives it)."""
        try:
            return self._response.read()
        finally:
            self.close()

    def close(self) -> None:
        self._connection.close()


def error_sentence(page: str) -> str:
    """The sentence of a peer's error page (werkzeug's, ``<p>sentence</p>``), or its text."""
    found = re.search(r"<p>(.*?)</p>", page, re.DOTALL)
    return html.unescape(found.group(1) if found else re.sub(r"<[^>]+>", " ", page)).strip()


class Cluster:
    """This node's name, its peers, and the requests to them, for one blueprint in one worker."""

    def __init__(
        self,
        node_name: str,
        peers: tuple[tuple[str, int | None], ...] | str,
        default_port: int,
        timeout: float,
        heartbeat: float,
    ) -> None:
        """``peers`` as ``config.parse_peers`` gives them, or as its text (``"10.0.0.2:3001,10.0.0.3:3001"``)."""
        self.node_name = node_name
        peers = parse_peers(peers) if isinstance(peers, str) else peers
        self.entries = [(host, port or default_port) for host, port in peers]
        self.timeout = timeout
        self.read_timeout = 2 * heartbeat + timeout  # a peer's stream is never silent a heartbeat long
        self.prefix = ""  # the blueprint's URL prefix, the same on every node
        self._resolved: tuple[float, list[Address]] = (0.0, [])
        self._names: dict[str, Address] = {}  # learned from the peers' own answers
        self._name_at: dict[Address, str] = {}

    @property
    def enabled(self) -> bool:
        return bool(self.entries)

    def elsewhere(self, path: str, headers: Mapping[str, str]) -> tuple[str | None, str]:
        """The other node a request ``path`` names (None: this one's file) and the path on it.

        ``Refused`` (400) for a malformed node, or a relayed request naming a node again: no loops.
        """
        node, rest = split(path)
        if node is None or node == self.node_name:
            return None, rest
        if RELAY_HEADER in headers:
            raise Refused(400, "a relayed request names a node: it is never relayed again")
        return node, rest

    @property
    def _dns_name(self) -> Address | None:
        """The one DNS name whose records are the peers, when that is how they are given."""
        if len(self.entries) != 1:
            return None
        try:
            ipaddress.ip_address(self.entries[0][0])
        except ValueError:
            return self.entries[0]
        return None

    def addresses(self) -> list[Address]:
        """Every peer's address (this node's may be among them); a DNS name is looked up again when stale."""
        named = self._dns_name
        if named is None:
            return self.entries
        stamp, found = self._resolved
        if time.monotonic() - stamp > RESOLVE_SECONDS:
            host, port = named
            records = gevent.socket.getaddrinfo(host, port, 0, gevent.socket.SOCK_STREAM)
            found = sorted({(record[4][0], port) for record in records})
            self._resolved = (time.monotonic(), found)
        return found

    def survey(self, headers: Mapping[str, str]) -> list[Node]:
        """Every peer's files (not this node's), asked at once; a peer silent for ``timeout`` is down."""
        try:
            addresses = self.addresses()
        except OSError as error:
            host = self.entries[0][0]
            return [Node(host, host, "down", reason=f"its DNS name does not resolve: {error}")]
        asked = [gevent.spawn(self._listing, address, headers) for address in addresses]
        gevent.joinall(asked, timeout=self.timeout)
        nodes = []
        for address, job in zip(addresses, asked, strict=True):
            if job.ready() and job.successful():
                node = job.value
            else:
                job.kill(block=False)
                why = f"no answer within {self.timeout:g} s" if not job.ready() else _reason(job.exception)
                node = Node(self._name_at.get(address, label(address)), label(address), "down", reason=why)
            if node.name != self.node_name:
                nodes.append(node)
        return sorted(nodes, key=lambda node: node.name)

    def _listing(self, address: Address, headers: Mapping[str, str]) -> Node:
        answer = self._send(address, f"{self.prefix}/files", headers, node=label(address))
        if answer.status in (401, 403):
            answer.close()
            name = self._name_at.get(address, label(address))
            return Node(name, label(address), "refused", reason="it did not accept these credentials")
        if answer.status != 200:
            return Node(label(address), label(address), "down", reason=f"it answered {answer.status}")
        listing = json.loads(answer.text(limit=64 * 1024 * 1024))
        name = str(listing["node"])
        self._names[name] = address
        self._name_at[address] = name
        return Node(name, label(address), "up", listing["files"])

    def open(self, node: str, target: str, headers: Mapping[str, str]) -> Answer:
        """``target`` (path and query) asked of ``node``: ``Refused`` 404 when no peer has that name, 502
        when it does not answer (after one more look, in case its pod moved)."""
        address = self._address_of(node, headers)
        try:
            return self._send(address, target, headers, node)
        except OSError as error:
            why = _reason(error)
        self._names.pop(node, None)
        self._resolved = (0.0, [])
        moved = self._address_of(node, headers)
        if moved != address:
            try:
                return self._send(moved, target, headers, node)
            except OSError as error:
                why = _reason(error)
        raise Refused(502, f"node {node} does not answer ({why}); try again when it is back")

    def files_of(self, node: str, headers: Mapping[str, str]) -> list[str]:
        """The names of ``node``'s files (its ``P/files``); ``Refused`` as ``open``, or with its refusal."""
        answer = self.open(node, f"{self.prefix}/files", headers)
        body = answer.whole().decode("utf-8", "replace")
        if answer.status != 200:
            raise Refused(answer.status, f"node {node}: {error_sentence(body)}")
        return [str(file["name"]) for file in json.loads(body)["files"]]

    def _address_of(self, node: str, headers: Mapping[str, str]) -> Address:
        """Where ``node`` was last found; when it is unknown, the peers are looked up and asked again."""
        if node in self._names:
            return self._names[node]
        self._resolved = (0.0, [])  # a pod that came since the last look
        nodes = self.survey(headers)
        if node in self._names:
            return self._names[node]
        down = [n.address for n in nodes if n.state == "down"]
        if down:
            raise Refused(
                502,
                f"node {node} is not among the nodes that answered, and {', '.join(down)} did not answer; "
                "try again when they are back",
            )
        if any(n.state == "refused" for n in nodes):
            raise Refused(401, f"node {node} is not among the nodes that accepted these credentials")
        known = ", ".join([self.node_name, *(n.name for n in nodes)])
        raise Refused(404, f"no node is named {node} (the nodes are {known})")

    def _send(self, address: Address, target: str, headers: Mapping[str, str], node: str) -> Answer:
        connection = _Connection(*address, timeout=self.timeout)
        sent = {name: headers[name] for name in FORWARDED if name in headers} | {RELAY_HEADER: self.node_name}
        try:
            connection.request("GET", target, headers=sent)
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise OSError(_reason(error)) from error
        except BaseException:  # killed (a survey out of time): the socket goes now, not at collection
            connection.close()
            raise
        connection.sock.settimeout(self.read_timeout)
        return Answer(node, connection, response)

    def target(self, route: str, path: str | None, query: bytes) -> str:
        """The peer's URL for ``route`` (``stream``, ``lines``...) of its own ``path`` (None: of ``files=``),
        with this query."""
        url = f"{self.prefix}/{route}" + (f"/{quote(path, safe='/')}" if path is not None else "")
        return f"{url}?{query.decode('latin-1')}" if query else url


def _reason(error: BaseException | None) -> str:
    if isinstance(error, TimeoutError | gevent.socket.timeout):
        return "timed out"
    return str(error) or error.__class__.__name__
