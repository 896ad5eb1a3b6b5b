"""P/stream?files=: several files' live lines as one stream, merged by time, against real gunicorn."""

from __future__ import annotations

import os
import re
import signal

import pytest
from eventsource import EventSource
from helpers import AUTH, PREFIX, append_lines

pytestmark = [pytest.mark.integration]

NAMES = ("nginx.log", "app.log", "worker.log")
FILE = re.compile(r'data-file="([^"]+)"')


def record(ms: int, name: str, text: str) -> str:
    second = ms // 1000
    return f"2026-11-25 03:{second // 60:02d}:{second % 60:02d},{ms % 1000:03d} INFO {name}: {text}"


def written(server, first: int, last: int) -> list[tuple[str, str]]:
    """Records ``first`` to ``last - 1``, each to one of the files in turn, each file's in one write; the order
    the merged stream must give them in."""
    batches: dict[str, list[str]] = {name: [] for name in NAMES}
    expected = []
    for i in range(first, last):
        name = NAMES[i * 5 % 3]
        batches[name].append(record(i * 100, name, f"request {i}"))
        expected.append((name, batches[name][-1]))
    for name in reversed(NAMES):  # the last file's lines first: the merge, not the writes, orders them
        append_lines(server.log_dir / name, batches[name])
    return expected


def merged_path(server) -> str:
    """The three files, empty, and the path of their merged stream."""
    for name in NAMES:
        (server.log_dir / name).write_text("")
    return f"{PREFIX}/stream/?files={','.join(NAMES)}"


def received(source: EventSource, count: int) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for event in source.events(within=20):
        found += zip(FILE.findall(event.data), event.lines, strict=True)
        if len(found) >= count:
            return found
    raise AssertionError(f"the stream ended after {found[-3:]}")


def test_three_writers_arrive_as_one_stream_in_time_order_and_resume_exactly(server):
    path = merged_path(server)
    with EventSource(server.address, path, AUTH) as source:
        expected = written(server, 0, 300)
        assert received(source, 300) == expected
        cursor = source.last_event_id
    assert cursor.count(",") == 2 and len(cursor) < 1024
    later = written(server, 300, 450)  # while no one watches
    with EventSource(server.address, path, AUTH, last_event_id=cursor) as source:
        assert received(source, 150) == later


def test_a_line_a_moment_late_is_put_in_its_place_and_one_far_behind_is_marked_late(server):
    with EventSource(server.address, merged_path(server), AUTH) as source:
        append_lines(server.log_dir / "nginx.log", [record(10_000, "nginx.log", "a")])
        append_lines(server.log_dir / "app.log", [record(10_500, "app.log", "b")])
        append_lines(server.log_dir / "worker.log", [record(9_800, "worker.log", "c, flushed after a and b")])
        first = received(source, 3)
        assert [text.rpartition(": ")[2] for _file, text in first] == ["c, flushed after a and b", "a", "b"]
        for name in NAMES:
            append_lines(server.log_dir / name, [record(20_000, name, "later")])
        assert len(received(source, 3)) == 3
        append_lines(server.log_dir / "worker.log", [record(15_000, "worker.log", "far behind")])
        for event in source.events(within=20):
            if "far behind" in event.data:
                assert 'data-late="1"' in event.data
                break


def test_a_worker_killed_or_one_file_rotated_loses_and_repeats_no_line(server):
    path = merged_path(server)
    with EventSource(server.address, path, AUTH) as source:
        expected = written(server, 0, 90)
        got = received(source, 90)
        for pid in server.pids_holding(server.log_dir / "app.log"):
            os.kill(pid, signal.SIGKILL)  # the worker serving the stream, mid-stream
        expected += written(server, 90, 180)
        source.reconnect()
        got += received(source, 90)
        (server.log_dir / "app.log").rename(server.log_dir / "app.log.1")  # rotated: a new app.log
        (server.log_dir / "app.log").write_text("")
        expected += written(server, 180, 270)
        got += received(source, 90)
    assert got == expected


def test_a_file_without_stamps_is_merged_as_it_arrives_and_the_stream_says_so(server):
    with EventSource(server.address, merged_path(server), AUTH) as source:
        append_lines(server.log_dir / "nginx.log", [record(10_000, "nginx.log", "stamped")])
        assert received(source, 1) == [("nginx.log", record(10_000, "nginx.log", "stamped"))]
        append_lines(server.log_dir / "app.log", ["no stamp 1", "no stamp 2"])
        said, got = [], []
        for event in source.events(within=20):
            if event.name == "unstamped":
                said.append(event.data)
                continue
            assert 'data-late="1"' not in event.data  # not late: it has no time to be late by
            got += event.lines
            if len(got) == 2:
                break
        assert got == ["no stamp 1", "no stamp 2"]
        assert said == ["app.log: its lines have no time stamps: they are merged as they arrive"]
        append_lines(server.log_dir / "app.log", ["no stamp 3"])
        append_lines(server.log_dir / "worker.log", [record(11_000, "worker.log", "stamped too")])
        rest = [text for _file, text in received(source, 2)]
        assert sorted(rest) == sorted(["no stamp 3", record(11_000, "worker.log", "stamped too")])


def test_a_file_that_goes_missing_leaves_the_others_going(server):
    with EventSource(server.address, merged_path(server), AUTH) as source:
        expected = written(server, 0, 30)
        assert received(source, 30) == expected
        (server.log_dir / "worker.log").unlink()
        notes = []
        for event in source.events(within=20):
            if event.name != "message":
                notes.append((event.name, event.data))
                break
        assert notes[0][0] == "missing" and notes[0][1].startswith("worker.log: "), notes
        for name in ("nginx.log", "app.log"):
            append_lines(server.log_dir / name, [record(10_000, name, "still here")])
        assert sorted(text for _file, text in received(source, 2)) == sorted(
            record(10_000, name, "still here") for name in ("nginx.log", "app.log")
        )
