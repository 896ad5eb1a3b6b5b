"""P/streams through real gunicorn: several streams on one connection, each tagged, each resumable."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from eventsource import Event, EventSource
from helpers import AUTH, PREFIX, fetch
from servers import Server

pytestmark = pytest.mark.integration


def streams(server: Server, *pairs: tuple[str, str]) -> EventSource:
    query = urlencode([(key, value) for name, cursor in pairs for key, value in (("s", name), ("c", cursor))])
    source = EventSource(server.address, f"{PREFIX}/streams?{query}", AUTH)
    assert source.status == 200
    return source


def until(source: EventSource, done, within: float = 10) -> list[Event]:
    """Events until ``done(events)`` holds."""
    seen: list[Event] = []
    for event in source.events(within):
        seen.append(event)
        if done(seen):
            return seen
    raise EOFError(f"the stream ended after {seen}")


def lines_of(events: list[Event], index: int) -> list[str]:
    return [line for event in events if event.s == index for line in event.lines]


def test_each_stream_is_tagged_and_one_that_cannot_be_served_says_why(server):
    (server.log_dir / "a.log").write_text("a1\na2\n")
    (server.log_dir / "b.log").write_text("b1 without a level\n")
    wanted = [(":a.log", ""), ("error:b.log", ""), (":gone.log", ""), (":../outside.log", ""), ("loud:a.log", "")]
    with streams(server, *wanted) as source:
        seen = until(source, lambda seen: len([e for e in seen if e.name == "failed"]) == 3 and lines_of(seen, 0))
        assert lines_of(seen, 0) == ["a1", "a2"]
        failures = {event.s: event.data for event in seen if event.name == "failed"}
        assert failures.pop(2) == "404 no such log file"
        assert failures.pop(3) == "403 the path leaves the log directory"
        assert failures.pop(4).startswith("400 ") and failures == {}
        with open(server.log_dir / "b.log", "a") as fh:
            fh.write("ERROR boom\n")
        with open(server.log_dir / "a.log", "a") as fh:
            fh.write("a3\n")
        seen = until(source, lambda seen: lines_of(seen, 1) and lines_of(seen, 0))
        assert lines_of(seen, 1) == ["ERROR boom"] and lines_of(seen, 0) == ["a3"]


def test_each_stream_resumes_from_its_own_cursor(server):
    (server.log_dir / "a.log").write_text("a1\n")
    (server.log_dir / "b.log").write_text("b1\n")
    cursors = {}
    with streams(server, (":a.log", ""), (":b.log", "")) as source:
        for event in until(source, lambda seen: lines_of(seen, 0) and lines_of(seen, 1)):
            cursors[event.s] = event.id
    with open(server.log_dir / "a.log", "a") as fh:
        fh.write("a2\na3\n")
    with open(server.log_dir / "b.log", "a") as fh:
        fh.write("b2\n")
    with streams(server, (":b.log", cursors[1]), (":a.log", cursors[0]), (":b.log", "")) as source:
        seen = until(source, lambda seen: lines_of(seen, 0) and len(lines_of(seen, 1)) >= 2 and lines_of(seen, 2))
        with open(server.log_dir / "a.log", "a") as fh:  # a last line each: what came before them is all
            fh.write("a-end\n")
        with open(server.log_dir / "b.log", "a") as fh:
            fh.write("b-end\n")
        ends = ("b-end", "a-end", "b-end")
        seen += until(source, lambda more: all(end in lines_of(seen + more, i) for i, end in enumerate(ends)))
        assert lines_of(seen, 0) == ["b2", "b-end"] and lines_of(seen, 1) == ["a2", "a3", "a-end"]
        assert lines_of(seen, 2) == ["b1", "b2", "b-end"]  # a new stream: the backlog, then live


def test_a_client_that_leaves_ends_every_stream_of_its_connection(server):
    for name in ("a.log", "b.log"):
        (server.log_dir / name).write_text("x\n")
    source = streams(server, (":a.log", ""), (":b.log", ""), (":a.log", ""))
    until(source, lambda seen: len(lines_of(seen, 0) + lines_of(seen, 1) + lines_of(seen, 2)) == 3)
    assert server.pids_holding(server.log_dir / "a.log")
    source.close()
    deadline = time.monotonic() + 5
    while server.pids_holding(server.log_dir / "a.log") or server.pids_holding(server.log_dir / "b.log"):
        assert time.monotonic() < deadline, "the streams of a closed connection still hold their files"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ("", b"name at least one stream"),
        ("s=app.log", b"is not &lt;level&gt;:&lt;path&gt;"),
        ("s=:a.log&s=:b.log&c=", b"give one c"),
    ],
)
def test_a_malformed_request_is_a_400_with_a_sentence(server, query, sentence):
    (server.log_dir / "a.log").write_text("x\n")
    (server.log_dir / "b.log").write_text("x\n")
    answer = fetch(server.address, f"{PREFIX}/streams?{query}")
    assert answer.status == 400 and sentence in answer.body, answer.body
