"""The rotation cases that once lost lines, each through real gunicorn with 4 gevent workers.

Each test names its case: how a rotation or a resume went wrong before, and
checks that every line arrives once, in order, or that the stream says why not.
"""

from __future__ import annotations

import gzip
import os
import shutil

import pytest
from eventsource import EventSource
from helpers import AUTH, PREFIX, append, numbered, numbered_text
from servers import Server

pytestmark = pytest.mark.integration


def stream(server: Server, name: str = "app.log", last_event_id: str | None = None) -> EventSource:
    source = EventSource(server.address, f"{PREFIX}/stream/{name}", AUTH, last_event_id=last_event_id)
    assert source.status == 200
    return source


def cursor_after(server: Server, count: int) -> str:
    """The event id a viewer holds after ``count`` lines of app.log; it then leaves."""
    with stream(server) as source:
        assert source.read_lines(count) == numbered(0, count)
        assert source.last_event_id
        return source.last_event_id


def notices_and_lines(source: EventSource, count: int) -> tuple[list[str], list[str]]:
    """The next ``count`` lines, and the named events that came with them."""
    names, lines = [], []
    for event in source.events(within=20):
        if event.name != "message":
            names.append(event.name)
        lines += event.lines
        if len(lines) >= count:
            return names, lines
    raise EOFError(f"stream ended after {len(lines)} of {count} lines")


def without_gaps(names: list[str]) -> list[str]:
    """The notices but ``missing``: the log's name may lead nowhere for a moment between a rotation's steps."""
    return [name for name in names if name != "missing"]


def test_a_rotated_file_ending_in_half_a_line_is_left_after_it(server):
    """Case 2: the writer died mid-line, then the log rotated; the viewer stayed stuck on the half line."""
    log = server.log_dir / "app.log"
    append(log, numbered_text(0, 10))
    with stream(server) as source:
        assert source.read_lines(10) == numbered(0, 10)
        append(log, numbered_text(10, 20) + "half a li")
        log.rename(log.with_name("app.log.1"))
        append(log, numbered_text(20, 30))
        names, lines = notices_and_lines(source, 21)
        assert lines == [*numbered(10, 20), "half a li", *numbered(20, 30)]
        assert without_gaps(names) == ["rotated"]
        append(log, numbered_text(30, 31))
        assert source.read_lines(1) == ["line 30"]


def test_a_cursor_into_a_file_gzipped_since_resumes_in_the_gz(server):
    """Case 3: logrotate ``compress`` without ``delaycompress`` before the viewer came back."""
    log = server.log_dir / "app.log"
    append(log, numbered_text(0, 100))
    cursor = cursor_after(server, 100)
    append(log, numbered_text(100, 1000))
    with gzip.open(log.with_name("app.log.1.gz"), "wb") as packed:
        packed.write(log.read_bytes())
    log.unlink()
    append(log, numbered_text(1000, 1010))
    with stream(server, last_event_id=cursor) as source:
        names, lines = notices_and_lines(source, 910)
    assert lines == numbered(100, 1010)
    assert without_gaps(names) == ["rotated"]


def test_copytruncate_then_a_burst_past_the_old_offset(server):
    """Case 4: the file regrew past the old offset before the next look; its size looked like growth."""
    log = server.log_dir / "app.log"
    append(log, numbered_text(0, 20))
    with stream(server) as source:
        assert source.read_lines(20) == numbered(0, 20)
        with open(log, "r+") as fh:  # all at once, as a fast writer would, in one write after the copy
            fh.seek(0, os.SEEK_END)
            fh.write(numbered_text(20, 25))
            fh.flush()
            shutil.copyfile(log, log.with_name("app.log.1"))
            fh.truncate(0)
            fh.seek(0)
            fh.write(numbered_text(100, 1100))
        names, lines = notices_and_lines(source, 1005)
    assert lines == [*numbered(20, 25), *numbered(100, 1100)]
    assert names[0] == "truncated"  # then "rotated", back from the copy to the log


def test_a_cursor_naming_a_siblings_inode_restarts_with_a_notice(server):
    """Case 5: another log's cursor served that log's lines under this file's name."""
    other, log = server.log_dir / "other.log", server.log_dir / "app.log"
    append(other, "other 0\nother 1\n")
    with stream(server, "other.log") as source:
        assert source.read_lines(2) == ["other 0", "other 1"]
        foreign = source.last_event_id
    append(log, numbered_text(0, 40))
    with stream(server, last_event_id=foreign) as source:
        names, lines = notices_and_lines(source, 40)
    assert names == ["reset"]
    assert lines == numbered(0, 40)


def test_an_ansi_parameter_past_ints_limit_shows_as_text(server):
    """Case 6: ``int()`` of a 5,000-digit SGR parameter raised and ended the stream for every viewer."""
    log = server.log_dir / "app.log"
    hostile = "\x1b[" + "9" * 5000 + "mred?\x1b[0m"
    append(log, "before\n")
    with stream(server) as live:
        assert live.read_lines(1) == ["before"]
        append(log, hostile + "\nafter\n")
        shown = live.read_lines(2)
        assert shown[1] == "after" and "red?" in shown[0]
        with stream(server) as new:  # a new viewer reads it in its backlog
            assert new.read_lines(3)[2] == "after"


def test_a_short_line_after_a_long_one_comes_without_another_change(server):
    """Case 7: a 10 MB line, a short line, then silence: the short line waited for the next write."""
    log = server.log_dir / "app.log"
    append(log, "before\n")
    with stream(server) as source:
        assert source.read_lines(1) == ["before"]
        append(log, "y" * 10_000_000 + "\nshort\n")  # and nothing after it
        cut, short = source.read_lines(2)
    assert "line cut" in cut and short == "short"


def test_a_resume_before_a_200_megabyte_first_line_reaches_the_lines_after_it(server):
    """Case 7: a viewer resuming at offset 0 of a file whose first line is 200 MB never got past it."""
    log = server.log_dir / "app.log"
    append(log, "a\n")
    with stream(server) as source:
        assert source.read_lines(1) == ["a"]
        start = source.last_event_id
    log.unlink()
    with open(log, "wb") as fh:
        chunk = b"z" * (1 << 20)
        for _ in range(200):
            fh.write(chunk)
        fh.write(b"\n" + numbered_text(0, 3).encode())
    resumed = stream(server, last_event_id=start)  # its inode is gone: the new file from its start
    with resumed:
        _, lines = notices_and_lines(resumed, 4)
    assert "line cut" in lines[0] and lines[1:] == numbered(0, 3)
