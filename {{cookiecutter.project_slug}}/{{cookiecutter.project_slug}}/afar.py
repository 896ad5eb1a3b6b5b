"""Another node's files among several (``files=@node-b/app.log``): read back and searched by asking that node.

A read back asks the node for that one file's lines (``P/lines/<path>``), as
a relayed request would; its line elements come back tagged with the file
(``data-file="@node-b/app.log"``), and ``X-Log-Time`` says the time of the
record the first of them belongs to. A search asks each node once for all of
its files (``P/search?files=...``). The nodes are asked at once, never in
turn, and never on the hub's time (``peers``: gevent sockets).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

import gevent

from . import sse
from .merged import Named, Read, text_of
from .moments import LineTimes
from .peers import Answer, Cluster, error_sentence, split
from .refused import Refused

T = TypeVar("T")
_FILE = re.compile(rb' data-file="([^"]*)"')


@dataclass(frozen=True)
class Afar:
    """Another node's file: its node, its path there, and its name here (``@node/path``)."""

    node: str
    path: str
    name: str


def afar(named: Named) -> Afar:
    """Another node's file that ``files=`` names."""
    node, path = split(named.name)
    assert node is not None
    return Afar(node, path, named.name)


def tagged(element: str, name: str) -> str:
    """A line element of another node's file, naming its file as this node's pages do."""
    return element.replace('<div class="l"', f'<div class="l" data-file="{html.escape(name)}"', 1)


def read(cluster: Cluster, file: Afar, asked: Mapping[str, str], headers: Mapping[str, str]) -> Read:
    """``P/lines/<path>`` of ``file``'s node with the query ``asked``; ``Refused`` with its sentence."""
    answer = _open(cluster, file.node, cluster.target("lines", file.path, urlencode(asked).encode()), headers)
    given = dict((name.lower(), value) for name, value in answer.headers)
    body = answer.whole().decode("utf-8", "replace")
    if answer.status != 200:
        raise Refused(answer.status, f"{file.name[:80]!r}: {error_sentence(body)}")
    elements = [tagged(element, file.name) for element in body.split("\n") if element]
    before = given.get("x-log-time")
    return Read(
        [text_of(element) for element in elements],
        elements,
        LineTimes(),
        float(before) if before else None,
        given.get("x-log-first") == "1",
        given.get("x-log-last") == "1",
    )


def read_each(
    cluster: Cluster, asks: list[tuple[Afar, Mapping[str, str]]], headers: Mapping[str, str]
) -> list[Read | Refused]:
    """``read`` of every file asked, all at once: its lines, or its refusal."""
    return _at_once(read, [(cluster, file, asked, headers) for file, asked in asks])


def read_all(cluster: Cluster, asks: list[tuple[Afar, Mapping[str, str]]], headers: Mapping[str, str]) -> list[Read]:
    """``read`` of every file asked, all at once; the first refusal, when one is refused."""
    return _all(read_each(cluster, asks, headers))


def _open(cluster: Cluster, node: str, target: str, headers: Mapping[str, str]) -> Answer:
    """``target`` asked of ``node``; ``Refused`` naming the node that cannot be asked."""
    try:
        return cluster.open(node, target, headers)
    except Refused as refused:
        raise Refused(refused.status, f"'@{node}/': {refused.message}") from None


def _at_once(ask: Callable[..., T], calls: list[tuple]) -> list[T | Refused]:
    """``ask`` with each call's arguments, all at once (a greenlet each): each answer, or its refusal."""
    jobs = [gevent.spawn(_caught, ask, *arguments) for arguments in calls]
    gevent.joinall(jobs)
    return [job.value for job in jobs]


def _all(found: list[T | Refused]) -> list[T]:
    """The answers, when none is a refusal; else the first refusal."""
    refusal = next((each for each in found if isinstance(each, Refused)), None)
    if refusal:
        raise refusal
    return found


def _by_node(files: list[Afar]) -> dict[str, list[str]]:
    """The paths of the files, by node."""
    nodes: dict[str, list[str]] = {}
    for file in files:
        nodes.setdefault(file.node, []).append(file.path)
    return nodes


def _caught(ask: Callable[..., T], *arguments: object) -> T | Refused:
    """``ask``'s answer or its refusal, in a greenlet (a refusal is the request's answer, not an error)."""
    try:
        return ask(*arguments)
    except Refused as refused:
        return refused


def timelines(cluster: Cluster, files: list[Afar], query: Mapping[str, str], headers: Mapping[str, str]) -> list[dict]:
    """Each node's timeline of its files (``P/timeline?files=...``, with ``query``), all nodes asked at once."""
    calls = [(cluster, node, {**query, "files": ",".join(paths)}, headers) for node, paths in _by_node(files).items()]
    return _all(_at_once(_timeline, calls))


def _timeline(cluster: Cluster, node: str, query: Mapping[str, str], headers: Mapping[str, str]) -> dict:
    answer = _open(cluster, node, cluster.target("timeline", None, urlencode(query).encode()), headers)
    body = answer.whole().decode("utf-8", "replace")
    if answer.status != 200:
        raise Refused(answer.status, f"node {node}: {error_sentence(body)}")
    return json.loads(body)


Searched = tuple[Iterator[bytes], Callable[[], None]]  # a node's search events, and what ends them


def searches(
    cluster: Cluster, files: list[Afar], query: Mapping[str, list[str]], headers: Mapping[str, str]
) -> list[Searched]:
    """Each node asked once to search its files (``query``: the search's own, ``files=`` aside), all at once; a
    node that does not answer is a ``failed`` event (the others' matches still come), one that refuses the
    search refuses it all."""
    asked = {"Accept": "text/event-stream"} | {k: v for k, v in headers.items() if k == "Authorization"}
    calls = [(cluster, node, _search_of(cluster, query, paths), asked) for node, paths in _by_node(files).items()]
    found = _at_once(_open, calls)
    answers = [each for each in found if isinstance(each, Answer)]
    refused = next((answer for answer in answers if answer.status != 200), None)
    if refused is not None:
        said = Refused(refused.status, f"node {refused.node}: {error_sentence(refused.text())}")
        for answer in answers:
            answer.close()
        raise said
    return [
        (matches_of(each), each.close)
        if isinstance(each, Answer)
        else (iter([sse.failed(each.status, each.message)]), _nothing)
        for each in found
    ]


def _search_of(cluster: Cluster, query: Mapping[str, list[str]], paths: list[str]) -> str:
    """The URL of a node's search of its ``paths``."""
    return cluster.target("search", None, urlencode(query | {"files": [",".join(paths)]}, doseq=True).encode())


def _nothing() -> None:
    """Nothing to end: a node that did not answer."""


def matches_of(answer: Answer) -> Iterator[bytes]:
    """A node's search events, each match naming its file as this node's pages do (``@node/path``: a node in a
    cluster names its files so itself)."""
    node = b"@" + answer.node.encode() + b"/"
    for chunk in answer.events(endless=False):
        yield _FILE.sub(lambda found: b' data-file="' + _on(node, found.group(1)) + b'"', chunk)


def _on(node: bytes, name: bytes) -> bytes:
    return name if name.startswith(node) else node + name
