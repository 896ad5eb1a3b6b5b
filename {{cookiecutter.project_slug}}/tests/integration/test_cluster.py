"""Several nodes, one URL: three real gunicorns on 127.0.0.1, .2 and .3 (one port), as a DaemonSet's pods."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsource import EventSource
from helpers import AUTH, PREFIX, append_lines, fetch, numbered, writing_numbered
from servers import Records, Server, nodes

from {{ cookiecutter.project_slug }}.config import BAKED
from {{ cookiecutter.project_slug }}.peers import RELAY_HEADER

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def trio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    with nodes(tmp_path_factory.mktemp("cluster")) as started:
        yield started


def groups(node: Server, auth: tuple[str, str] | None = AUTH) -> dict[str, tuple[str, list[str]]]:
    """The index of ``node``: each node's state and the viewer links of its files."""
    page = fetch(node.address, f"{PREFIX}/", auth=auth)
    assert page.status == 200, page.body
    found = {}
    for name, state, body in re.findall(
        r'<tbody class="node" data-node="([^"]+)" data-state="(\w+)">(.*?)</tbody>', page.body.decode(), re.DOTALL
    ):
        found[name] = (state, re.findall(r'<a class="view" href="([^"]+)"', body))
    return found


def read_through(source: EventSource, count: int) -> list[str]:
    """Lines until ``count`` came or the connection broke (its node's worker was killed)."""
    got: list[str] = []
    try:
        for event in source.events(within=20):
            got += event.lines
            if len(got) >= count:
                break
    except (OSError, http.client.HTTPException):
        pass
    return got


def test_the_index_of_any_node_lists_every_nodes_files_grouped_by_node(trio):
    for node in trio:
        append_lines(node.log_dir / f"{node.env['LOG_VIEWER_NODE_NAME']}.log", ["hello"])
    names = [node.env["LOG_VIEWER_NODE_NAME"] for node in trio]
    for node in trio:
        found = groups(node)
        assert list(found) == [
            node.env["LOG_VIEWER_NODE_NAME"],
            *sorted(set(names) - {node.env["LOG_VIEWER_NODE_NAME"]}),
        ]
        for name in names:
            state, links = found[name]
            assert state == "up" and f"{PREFIX}/view/@{name}/{name}.log" in links


def test_a_stream_of_node_c_through_node_a_gets_every_line_once_in_order(trio):
    a, _b, c = trio
    log = c.log_dir / "relayed.log"
    append_lines(log, ["before"])
    with EventSource(a.address, f"{PREFIX}/stream/@node-c/relayed.log", AUTH) as source:
        assert source.status == 200
        assert source.read_lines(1) == ["before"]
        writer = writing_numbered(log, 0, 3000, pause=0.0002)
        assert source.read_lines(3000) == numbered(0, 3000)
        writer.join()


def test_resume_through_the_relay_is_exact_after_the_relaying_workers_die(trio):
    """Half through node A, A's workers SIGKILLed mid-stream; on through A's new workers, then through B."""
    a, b, c = trio
    log = c.log_dir / "resumed.log"
    writer = writing_numbered(log, 0, 3000, pause=0.001)
    path = f"{PREFIX}/stream/@node-c/resumed.log"
    source = EventSource(a.address, path, AUTH)
    got = read_through(source, 800)
    for pid in a.worker_pids():
        os.kill(pid, signal.SIGKILL)
    got += read_through(source, 10_000)  # what was in flight, up to the break
    source.close()
    deadline = time.monotonic() + 20
    while a.ready_workers() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    with EventSource(a.address, path, AUTH, last_event_id=source.last_event_id) as again:
        got += again.read_lines(200)
        cursor = again.last_event_id
    with EventSource(b.address, path, AUTH, last_event_id=cursor) as elsewhere:
        writer.join()
        got += elsewhere.read_lines(3000 - len(got))
    assert got == numbered(0, 3000)


def test_a_browser_that_leaves_a_relayed_stream_frees_it_on_the_peer_at_once(trio):
    a, _b, c = trio
    log = c.log_dir / "left.log"
    append_lines(log, ["one"])
    source = EventSource(a.address, f"{PREFIX}/stream/@node-c/left.log", AUTH)
    assert source.read_lines(1) == ["one"] and c.pids_holding(log)
    source.close()
    deadline = time.monotonic() + 5
    while c.pids_holding(log):
        assert time.monotonic() < deadline, "node C still serves a stream no one reads"
        time.sleep(0.05)


def test_lines_download_search_and_timeline_come_through_the_relay(trio):
    a, _b, c = trio
    append_lines(c.log_dir / "other.log", ["alpha", "beta", "gamma"])
    lines = fetch(a.address, f"{PREFIX}/lines/@node-c/other.log?limit=2")
    assert lines.status == 200 and lines.headers["X-Log-File"] == "other.log"
    assert re.findall(r">(\w+)</div>", lines.body.decode()) == ["beta", "gamma"]
    part = fetch(a.address, f"{PREFIX}/download/@node-c/other.log", {"Range": "bytes=6-9"})
    assert part.status == 206 and part.body == b"beta"
    assert part.headers["Content-Range"] == "bytes 6-9/17"
    with EventSource(a.address, f"{PREFIX}/search/@node-c/other.log?q=amm", AUTH) as search:
        events = list(search.events(within=20))
    assert [line for event in events for line in event.lines] == ["gamma"]
    assert events[-1].name == "done"
    append_lines(c.log_dir / "timed.log", ["2026-11-25 03:00:00,000 ERROR boom", "2026-11-25 03:00:30,000 INFO ok"])
    timeline = fetch(a.address, f"{PREFIX}/timeline/@node-c/timed.log?buckets=10")
    assert timeline.status == 200
    buckets = json.loads(timeline.body)["buckets"]  # 31 s in 10 buckets: 4 s each
    assert [(i, bucket["counts"]) for i, bucket in enumerate(buckets) if bucket["counts"]] == [
        (0, {"error": 1}),
        (7, {"info": 1}),
    ]


def test_the_shared_connection_carries_another_nodes_stream_beside_this_nodes(trio):
    a, _b, c = trio
    append_lines(a.log_dir / "mine.log", ["on a"])
    append_lines(c.log_dir / "theirs.log", ["on c"])
    query = "s=:mine.log&c=&s=:@node-c/theirs.log&c=&s=:@node-a/mine.log&c="
    with EventSource(a.address, f"{PREFIX}/streams?{query}", AUTH) as source:
        seen: dict[int, list[str]] = {}
        for event in source.events(within=10):
            seen.setdefault(event.s, []).extend(event.lines)
            if len(seen) == 3:
                break
    assert seen == {0: ["on a"], 1: ["on c"], 2: ["on a"]}


def test_unknown_malformed_and_relayed_again_are_refused(trio):
    a, b, _c = trio
    unknown = fetch(a.address, f"{PREFIX}/stream/@node-z/app.log")
    assert unknown.status == 404 and b"no node is named node-z (the nodes are node-a, node-b, node-c)" in unknown.body
    assert fetch(a.address, f"{PREFIX}/view/@-x/app.log").status == 400
    assert fetch(a.address, f"{PREFIX}/view/@node-b").status == 400
    again = fetch(b.address, f"{PREFIX}/stream/@node-c/app.log", {RELAY_HEADER: "node-a"})
    assert again.status == 400 and b"never relayed again" in again.body
    missing = fetch(a.address, f"{PREFIX}/stream/@node-c/nothing.log")
    assert missing.status == 404 and b"no such log file" in missing.body
    outside = fetch(a.address, f"{PREFIX}/view/@node-c/..%2F..%2Fetc%2Fpasswd")
    assert outside.status == 403  # the peer's own path checks


def test_a_node_that_does_not_answer_is_down_and_the_index_still_loads_in_2_s(trio):
    """Node C frozen (SIGSTOP): its kernel still accepts connections, nothing answers."""
    a, _b, c = trio
    frozen = [c.process.pid, *c.worker_pids()]
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        found = groups(a)
        took = time.monotonic() - started
        relayed = fetch(a.address, f"{PREFIX}/lines/@node-c/any.log")
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    assert took < 2, f"the index took {took:.2f} s"
    down = [name for name, (state, _links) in found.items() if state == "down"]
    assert down in (["node-c"], [f"127.0.0.3:{c.port}"]) and found["node-b"][0] == "up"
    assert relayed.status == 502 and re.search(rb"(does|did) not answer", relayed.body), relayed.body


def test_a_stopped_node_is_down_its_streams_end_with_a_failed_event_and_resume_when_it_is_back(tmp_path: Path):
    with nodes(tmp_path) as (a, b, _c):
        log = b.log_dir / "app.log"
        append_lines(log, numbered(0, 10))
        path = f"{PREFIX}/stream/@node-b/app.log"
        with EventSource(a.address, path, AUTH) as source:
            assert source.read_lines(10) == numbered(0, 10)
            b.stop()
            events = list(source.events(within=10))
            assert [event.name for event in events] == ["failed"]
            assert re.fullmatch(
                r"502 node node-b (ended the stream|stopped answering .*); reconnecting", events[0].data
            )
        append_lines(log, numbered(10, 20))
        started = time.monotonic()
        found = groups(a)
        assert time.monotonic() - started < 2
        # named when this worker of node-a had heard from node-b before, by its address otherwise
        down = [name for name, (state, _links) in found.items() if state == "down"]
        assert down in (["node-b"], [f"127.0.0.2:{b.port}"]) and found["node-c"][0] == "up"
        refused = fetch(a.address, path)
        assert refused.status == 502 and b"node-b" in refused.body and b"<p>" in refused.body
        # Several files with node B's: read back, refused naming it; searched, node A's matches and a note.
        append_lines(a.log_dir / "app.log", ["a line of node a"])
        merged = f"{PREFIX}/lines?files=@node-a/app.log,@node-b/app.log"
        refused = fetch(a.address, merged)
        assert refused.status == 502 and b"@node-b/" in refused.body
        with EventSource(a.address, f"{PREFIX}/search?files=@node-a/app.log,@node-b/app.log&q=line", AUTH) as search:
            events = list(search.events(within=20))
        assert [line for event in events for line in event.lines] == ["a line of node a"]
        notes = json.loads(events[-1].data)["notes"]
        assert events[-1].name == "done" and len(notes) == 1
        assert re.match(r"'@node-b/': node node-b (does not answer|is not among .* did not answer)", notes[0])
        b.start()
        with EventSource(a.address, path, AUTH, last_event_id=source.last_event_id) as resumed:
            assert resumed.read_lines(10) == numbered(10, 20)


def test_peers_found_by_dns_are_looked_up_again_as_pods_come_and_go(tmp_path: Path):
    records = Records("peers.test", ["127.0.0.1", "127.0.0.2"])
    try:
        with nodes(tmp_path, peers="peers.test", **records.resolver_env()) as (a, _b, c):
            append_lines(c.log_dir / "late.log", ["from c"])
            assert list(groups(a)) == ["node-a", "node-b"]
            records.addresses.append("127.0.0.3")
            deadline = time.monotonic() + 15
            while "node-c" not in groups(a):
                assert time.monotonic() < deadline, "node-c never appeared"
                time.sleep(0.5)
            with EventSource(a.address, f"{PREFIX}/stream/@node-c/late.log", AUTH) as source:
                assert source.read_lines(1) == ["from c"]
    finally:
        records.close()


@pytest.mark.answers
def test_a_peer_serves_the_relay_only_what_it_would_serve_the_browser(tmp_path: Path):
    """With basic auth the browser's credentials go on and node-c (another password) refuses them."""
    other = {"node-c": {"LOG_VIEWER_PASSWORD": "not-the-same"}}
    with nodes(tmp_path, env_of=other) as (a, b, c):
        append_lines(b.log_dir / "b.log", ["from b"])
        append_lines(c.log_dir / "c.log", ["from c"])
        with EventSource(a.address, f"{PREFIX}/stream/@node-b/b.log", AUTH) as source:
            assert source.read_lines(1) == ["from b"]
        to_c = fetch(a.address, f"{PREFIX}/lines/@node-c/c.log")
        if BAKED["auth"] == "basic":
            assert fetch(a.address, f"{PREFIX}/", auth=None).status == 401
            assert fetch(a.address, f"{PREFIX}/stream/@node-b/b.log", auth=None).status == 401
            assert fetch(c.address, f"{PREFIX}/lines/c.log", {RELAY_HEADER: "node-a"}, auth=None).status == 401
            assert to_c.status == 401
            assert sorted(state for state, _links in groups(a).values()) == ["refused", "up", "up"]  # c: unnamed
        else:
            assert to_c.status == 200 and b">from c<" in to_c.body
            assert groups(a, auth=None)["node-c"] == ("up", [f"{PREFIX}/view/@node-c/c.log"])


def test_a_file_of_another_node_merges_live_with_this_nodes(trio):
    a, _b, c = trio
    (a.log_dir / "front.log").write_text("")
    (c.log_dir / "back.log").write_text("")
    path = f"{PREFIX}/stream/?files=front.log,@node-c/back.log"
    with EventSource(a.address, path, AUTH) as source:
        expected = []
        for i in range(60):
            log = (a.log_dir / "front.log") if i % 2 == 0 else (c.log_dir / "back.log")
            line = f"2026-11-25 03:00:{i:02d},000 INFO {log.name}: request {i}"
            expected.append(line)
            append_lines(log, [line])
        got: list[str] = []
        files: list[str] = []
        for event in source.events(within=20):
            got += event.lines
            files += re.findall(r'data-file="([^"]+)"', event.data)
            if len(got) >= 60:
                break
        assert got == expected
        assert files == ["@node-a/front.log", "@node-c/back.log"] * 30  # this node's named as any node names it


def shown(body: bytes) -> tuple[list[str], list[str], list[str]]:
    """The texts, files and positions of the line elements of an answer of lines."""
    elements = re.findall(r"<div ([^>]*)>(.*?)</div>", body.decode())
    texts = [text for _attributes, text in elements]
    files = [re.search(r'data-file="([^"]*)"', attributes).group(1) for attributes, _text in elements]
    return texts, files, [re.search(r'data-at="([^"]*)"', attributes).group(1) for attributes, _text in elements]


def test_a_file_of_another_node_is_read_back_and_searched_with_this_nodes(trio):
    a, _b, c = trio
    expected, owners = [], []
    for i in range(60):
        log, owner = (
            (a.log_dir / "api.log", "@node-a/api.log") if i % 2 == 0 else (c.log_dir / "db.log", "@node-c/db.log")
        )
        record = [f"2026-11-25 04:00:{i:02d},000 INFO request {i}"] + (["  continued 21"] if i == 21 else [])
        append_lines(log, record)
        expected += record
        owners += [owner] * len(record)
    files = "files=api.log,@node-c/db.log"
    texts, found_in, ats = shown(fetch(a.address, f"{PREFIX}/lines?{files}&limit=100").body)
    assert (texts, found_in) == (expected, owners)

    on_c = texts.index("  continued 21")  # node C's line, without a stamp: scrolled back from, and to
    before = fetch(a.address, f"{PREFIX}/lines?{files}&before={ats[on_c]}&limit=6")
    assert before.status == 200, before.body
    assert shown(before.body)[0] == expected[on_c - 6 : on_c]
    after = fetch(a.address, f"{PREFIX}/lines?{files}&from={ats[on_c]}&limit=4")
    assert shown(after.body)[:2] == (expected[on_c : on_c + 4], owners[on_c : on_c + 4])
    at_time = fetch(a.address, f"{PREFIX}/lines?{files}&from=2026-11-25T04:00:40&limit=3")
    assert shown(at_time.body)[0] == [f"2026-11-25 04:00:{i},000 INFO request {i}" for i in (40, 41, 42)]
    for name, seconds in (("job-1.log", (1, 3)), ("job-2.log", (2,)), ("job-3.txt", (0,))):
        append_lines(c.log_dir / name, [f"2026-11-25 04:01:0{n},000 INFO {name} {n}" for n in seconds])
    globbed = fetch(a.address, f"{PREFIX}/lines?files=@node-c/job-*.log")  # node C's files, matched on its list
    assert globbed.status == 200, globbed.body
    jobs = (("job-1.log", 1), ("job-2.log", 2), ("job-1.log", 3))
    assert shown(globbed.body)[:2] == (
        [f"2026-11-25 04:01:0{n},000 INFO {name} {n}" for name, n in jobs],
        [f"@node-c/{name}" for name, _n in jobs],
    )
    nothing = fetch(a.address, f"{PREFIX}/lines?files=@node-c/job-*.json")
    assert nothing.status == 404 and b"no file matches" in nothing.body
    gone = fetch(a.address, f"{PREFIX}/lines?{files}&before=1f-0-0.0&limit=3")  # of no file of any node
    assert gone.status == 410 and b"that line is gone" in gone.body

    with EventSource(a.address, f"{PREFIX}/search?{files}&q=request+1", AUTH) as search:
        events = list(search.events(within=20))
    matched = [line for event in events for line in event.lines]
    assert matched == [line for line in expected if "request 1" in line]  # 1, then 10 to 19: in time order
    assert re.findall(r'data-file="([^"]+)"', "".join(e.data for e in events)) == [
        "@node-c/db.log" if n % 2 else "@node-a/api.log" for n in (1, *range(10, 20))
    ]
    assert events[-1].name == "done" and json.loads(events[-1].data)["matches"] == 11


def test_the_timeline_of_files_on_two_nodes_is_the_timeline_of_those_files_on_one(trio):
    a, b, c = trio
    minute = [
        (f"2026-11-25 05:{i // 60:02d}:{i % 60:02d},000 {('INFO', 'WARNING', 'ERROR')[i % 3]} request {i}", i % 2)
        for i in range(0, 3600, 7)
    ]
    late = [f"2026-11-25 07:00:{i:02d},000 ERROR late {i}" for i in range(30)]  # node C's only, an hour on
    append_lines(a.log_dir / "hours.log", [line for line, owner in minute if owner == 0])
    append_lines(c.log_dir / "hours.log", [line for line, owner in minute if owner == 1] + late)
    append_lines(b.log_dir / "hours-a.log", [line for line, owner in minute if owner == 0])  # both on node B
    append_lines(b.log_dir / "hours-c.log", [line for line, owner in minute if owner == 1] + late)
    for query in ("buckets=50", "buckets=10&level=warning", "buckets=2000&from=2026-11-25T05:10:00"):
        spread = fetch(a.address, f"{PREFIX}/timeline?files=@node-a/hours.log,@node-c/hours.log&{query}")
        assert spread.status == 200, spread.body
        one = fetch(b.address, f"{PREFIX}/timeline?files=hours-a.log,hours-c.log&{query}")
        spread, one = json.loads(spread.body), json.loads(one.body)
        assert [bucket["counts"] for bucket in spread["buckets"]] == [bucket["counts"] for bucket in one["buckets"]]
        for key in ("from", "to", "bucket_seconds", "reach"):
            assert spread[key] == one[key], key
        assert sum(bool(bucket["counts"]) for bucket in spread["buckets"]) > 2
        assert all(bucket["at"] for bucket in spread["buckets"] if bucket["counts"])
