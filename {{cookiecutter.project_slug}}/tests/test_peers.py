"""The relay's own rules: node names in paths, and a peer's event stream passed on in whole events."""

from __future__ import annotations

import pytest

from {{ cookiecutter.project_slug }}.peers import Answer, Cluster, error_sentence, split
from {{ cookiecutter.project_slug }}.refused import Refused


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("app.log", (None, "app.log")),
        ("@node-b/app.log", ("node-b", "app.log")),
        ("@ip-10-0-0-2.ec2.internal/web/access.log", ("ip-10-0-0-2.ec2.internal", "web/access.log")),
    ],
)
def test_a_path_may_name_its_node(path, expected):
    assert split(path) == expected


@pytest.mark.parametrize(
    ("path", "message"),
    [("@/app.log", "malformed node name"), ("@-b/app.log", "malformed node name"), ("@node-b", "name a file after")],
)
def test_a_malformed_node_is_refused_with_400(path, message):
    with pytest.raises(Refused, match=message) as refused:
        split(path)
    assert refused.value.status == 400


class Peer:
    """What ``Answer`` reads of an ``http.client`` response: chunks as a socket would give them, then ``ending``."""

    status = 200

    def __init__(self, chunks: list[bytes], ending: Exception | None = None) -> None:
        self.chunks, self.ending = list(chunks), ending

    def getheaders(self) -> list[tuple[str, str]]:
        return [("Content-Type", "text/event-stream"), ("Transfer-Encoding", "chunked"), ("X-Log-File", "a.log")]

    def read1(self, size: int) -> bytes:
        if self.chunks:
            return self.chunks.pop(0)
        if self.ending:
            raise self.ending
        return b""


class Closed:
    def close(self) -> None:
        self.closed = True


def test_events_go_on_whole_however_the_peer_cuts_them():
    stream = b"retry: 1000\n\nid: 1\ndata: <div>a</div>\n\n: keepalive\n\nid: 2\ndata: <div>b</div>\n\n"
    for cut in range(1, len(stream)):
        connection = Closed()
        answer = Answer("node-b", connection, Peer([stream[:cut], stream[cut:]]))
        events = list(answer.events(endless=False))
        assert b"".join(events) == stream and all(event.endswith(b"\n\n") for event in events)
        assert connection.closed
    assert answer.headers == [("Content-Type", "text/event-stream"), ("X-Log-File", "a.log")]  # no hop-by-hop


def test_a_peer_gone_mid_event_leaves_that_event_unsent_and_says_so():
    answer = Answer("node-b", Closed(), Peer([b"id: 1\ndata: a\n\nid: 2\ndata: b"], ConnectionResetError()))
    events = list(answer.events(endless=True))
    assert events[0] == b"id: 1\ndata: a\n\n"
    assert events[1:] == [
        b"event: failed\ndata: 502 node node-b stopped answering (ConnectionResetError); reconnecting\n\n"
    ]


def test_the_end_of_an_endless_stream_is_news_and_of_a_search_is_not():
    ended = list(Answer("node-b", Closed(), Peer([b"data: x\n\n"])).events(endless=True))
    assert ended[-1] == b"event: failed\ndata: 502 node node-b ended the stream; reconnecting\n\n"
    assert list(Answer("node-b", Closed(), Peer([b"data: x\n\n"])).events(endless=False)) == [b"data: x\n\n"]


def test_a_peers_error_page_gives_its_sentence():
    page = "<!doctype html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>no such log file &amp; more</p>\n"
    assert error_sentence(page) == "no such log file & more"


def test_peers_may_be_given_as_the_variables_text_and_take_the_services_port():
    cluster = Cluster("node-a", "10.0.0.2:3002, node-c.example", 3001, timeout=0.5, heartbeat=15)
    assert cluster.entries == [("10.0.0.2", 3002), ("node-c.example", 3001)]


def test_without_peers_every_other_node_is_unknown():
    cluster = Cluster("node-a", (), 3001, timeout=0.5, heartbeat=15)
    assert not cluster.enabled and cluster.survey({}) == []
    with pytest.raises(Refused, match=r"no node is named node-b \(the nodes are node-a\)") as refused:
        cluster.open("node-b", "/logs/stream/app.log", {})
    assert refused.value.status == 404


def test_a_list_naming_a_node_that_never_answers_is_a_502_within_the_timeout():
    cluster = Cluster("node-a", (("127.0.0.1", 9),), 3001, timeout=0.5, heartbeat=15)  # discard: refused
    [down] = cluster.survey({})
    assert (down.name, down.state) == ("127.0.0.1:9", "down")
    with pytest.raises(Refused, match="node node-b is not among the nodes that answered") as refused:
        cluster.open("node-b", "/logs/stream/app.log", {})
    assert refused.value.status == 502
