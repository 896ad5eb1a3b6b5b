"""P/lines?files=: several files read back as one, merged by time, each line tagged with its file."""

from __future__ import annotations

import gzip
import random
import re
from html import unescape
from pathlib import Path
from urllib.parse import quote

import gevent
import pytest

from {{ cookiecutter.project_slug }} import interleave

LINE = re.compile(r'<div class="l" data-at="([^"]+)"(?: data-level="\w+")? data-file="([^"]+)">(.*?)</div>')


def stamp(ms: int) -> str:
    """03:00 and ``ms`` milliseconds, as Python's logging writes it."""
    whole = ms // 1000
    return f"2026-11-25 03:{whole // 60:02d}:{whole % 60:02d},{ms % 1000:03d}"


@pytest.fixture
def writers(log_dir: Path) -> dict[str, list[str]]:
    """Three files whose records interleave in time (a traceback after some), and the merged order expected."""
    files: dict[str, list[str]] = {"nginx.log": [], "app/api.log": [], "worker.log": []}
    expected = []
    for i in range(300):
        name = list(files)[i * 7 % 3]
        record = f"{stamp(i * 700)} INFO {name.split('/')[-1]}: request {i}"
        files[name].append(record)
        expected.append((name, record))
        if i % 25 == 0:
            for extra in ("Traceback (most recent call last):", f"ValueError: {i}"):
                files[name].append(extra)
                expected.append((name, extra))
    for name, lines in files.items():
        (log_dir / name).write_text("".join(f"{line}\n" for line in lines))
    return {"expected": expected}


def read(client, query: str) -> tuple[list[tuple[str, str, str]], dict]:
    answer = client.get(f"/logs/lines?{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    found = [(at, name, unescape(text)) for at, name, text in LINE.findall(answer.get_data(as_text=True))]
    return found, answer.headers


FILES = "files=nginx.log,app/api.log,worker.log"


def test_three_writers_interleaved_come_back_in_time_order_each_line_with_its_file(client, writers):
    found, headers = read(client, f"{FILES}&limit=5000")
    assert [(name, text) for _at, name, text in found] == writers["expected"]
    assert headers["X-Log-First"] == "1" and headers["X-Log-Last"] == "1"


def test_the_last_lines_then_before_and_from_any_line_continue_the_one_order(client, writers):
    everything = [text for _name, text in writers["expected"]]
    last, headers = read(client, f"{FILES}&limit=50")
    assert [text for _at, _name, text in last] == everything[-50:] and headers["X-Log-First"] == "0"
    full, _headers = read(client, f"{FILES}&limit=5000")
    for index in random.Random(7).sample(range(len(full)), 25):
        at = quote(full[index][0])
        before, _ = read(client, f"{FILES}&before={at}&limit=40")
        after, _ = read(client, f"{FILES}&from={at}&limit=40")
        assert [text for _a, _n, text in before] == everything[max(0, index - 40) : index], index
        assert [text for _a, _n, text in after] == everything[index : index + 40], index


def test_from_a_time_opens_every_file_there(client, writers):
    found, _headers = read(client, f"{FILES}&from=2026-11-25T03:01:10&limit=8")
    assert [text for _at, _name, text in found] == [
        "2026-11-25 03:01:10,000 INFO api.log: request 100",
        "Traceback (most recent call last):",  # with its record
        "ValueError: 100",
        "2026-11-25 03:01:10,700 INFO worker.log: request 101",
        "2026-11-25 03:01:11,400 INFO nginx.log: request 102",
        "2026-11-25 03:01:12,100 INFO api.log: request 103",
        "2026-11-25 03:01:12,800 INFO worker.log: request 104",
        "2026-11-25 03:01:13,500 INFO nginx.log: request 105",
    ]


def test_a_glob_in_one_directory_names_its_files(client, log_dir):
    (log_dir / "app" / "b.log").write_text(f"{stamp(1000)} INFO b: one\n")
    (log_dir / "app" / "api.log").write_text(f"{stamp(0)} INFO api: zero\n{stamp(2000)} INFO api: two\n")
    (log_dir / "app" / "notes.txt").write_text(f"{stamp(1500)} INFO notes\n")
    found, _headers = read(client, "files=app/*.log")
    assert [(name, text[24:]) for _at, name, text in found] == [
        ("app/api.log", "INFO api: zero"),
        ("app/b.log", "INFO b: one"),
        ("app/api.log", "INFO api: two"),
    ]


@pytest.mark.parametrize(
    ("query", "status", "said"),
    [
        ("files=", 400, "files= names no file"),
        ("", 400, "files= names no file"),
        ("files=main.log,,app/api.log", 400, "empty entry"),
        ("files=main.log,nothing.log", 404, "'nothing.log': no such log file"),
        ("files=main.log,../etc/passwd", 403, "'../etc/passwd': the path leaves the log directory"),
        ("files=secret/*.log", 404, "'secret/*.log': no such directory"),
        ("files=app/*.json", 404, "'app/*.json': no file matches"),
        ("files=*/api.log", 400, "a glob may only be in the file name"),
        ("files=main.log&from=12", 400, "a byte offset is a place in one file"),
        ("files=main.log&from=start&before=start", 400, "not both"),
        ("files=@node-b/app.log", 404, "'@node-b/': no node is named node-b"),
    ],
)
def test_what_cannot_be_merged_is_refused_naming_the_entry(client, log_dir, query, status, said):
    answer = client.get(f"/logs/lines?{query}")
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert said in unescape(answer.get_data(as_text=True))


def test_at_most_sixteen_files(client, log_dir):
    for i in range(17):
        (log_dir / f"f{i}.log").write_text("x\n")
    answer = client.get("/logs/lines?files=f*.log")
    assert answer.status_code == 400 and "17 files: at most 16" in answer.get_data(as_text=True)
    names = ",".join(f"f{i}.log" for i in range(16))
    assert client.get(f"/logs/lines?files={names}").status_code == 200


def test_a_time_before_a_rotation_is_read_in_the_rotated_sibling_that_holds_it(client, log_dir):
    """app.log.2.gz, app.log.1 and app.log hold seconds 0-99, 100-199 and 200-299; other.log every half second
    between."""
    records = [f"{stamp(i * 1000)} INFO app: record {i}" for i in range(300)]
    (log_dir / "app.log.2.gz").write_bytes(gzip.compress("".join(f"{r}\n" for r in records[:100]).encode()))
    (log_dir / "app.log.1").write_text("".join(f"{r}\n" for r in records[100:200]))
    (log_dir / "app.log").write_text("".join(f"{r}\n" for r in records[200:]))
    (log_dir / "other.log").write_text("".join(f"{stamp(i * 1000 + 500)} INFO other: record {i}\n" for i in range(300)))

    def one(query: str) -> tuple[list[str], str]:
        answer = client.get(f"/logs/lines/app.log?{query}")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return re.findall(r"record (\d+)", answer.get_data(as_text=True)), answer.headers["X-Log-File"]

    assert one("from=2026-11-25T03:00:50&limit=3") == (["50", "51", "52"], "app.log.2.gz")
    assert one("before=2026-11-25T03:03:20&limit=2") == (["198", "199"], "app.log.1")  # up to the log's first line
    assert one("from=2026-11-25T03:03:20&limit=2") == (["200", "201"], "app.log")
    assert one("from=2026-11-25T03:01:39.5&limit=1") == (["100"], "app.log.1")  # after .2.gz's last: .1's first
    found, _headers = read(client, "files=app.log,other.log&from=2026-11-25T03:01:40&limit=4")
    assert [text.split(" INFO ")[1] for _at, _name, text in found] == [
        "app: record 100",
        "other: record 100",
        "app: record 101",
        "other: record 101",
    ]
    found, _headers = read(client, "files=app.log,other.log&before=2026-11-25T03:00:02&limit=3")
    assert [text.split(" INFO ")[1] for _at, _name, text in found] == [
        "other: record 0",
        "app: record 1",
        "other: record 1",
    ]


def test_a_search_of_several_files_and_their_siblings_gives_its_matches_in_time_order(client, writers, log_dir):
    with gzip.open(log_dir / "worker.log.1.gz", "wt") as old:
        old.write(f"{stamp(0)} INFO worker.log: request before all, rotated\n")
    answer = client.get(f"/logs/search?{FILES}&q=request 1")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200 and body.rstrip().split("\n")[-2].startswith("event: done")
    found = [unescape(text) for _at, _name, text in LINE.findall(body)]
    expected = [text for _name, text in writers["expected"] if "request 1" in text]
    assert found == expected and len(found) == 111  # request 1, 10-19, 100-199
    rotated = client.get(f"/logs/search?{FILES}&q=rotated").get_data(as_text=True)
    assert [name for _at, name, _text in LINE.findall(rotated)] == ["worker.log.1.gz"]


def _opened(*events: str):
    """A file's stream that gives these events, then waits (as a quiet log's does)."""

    def stream():
        yield "retry: 1000\n\n"
        yield from events
        gevent.sleep(3600)

    return stream(), lambda: None


def _event(event_id: str, *seconds: int) -> str:
    return (
        f"id: {event_id}\n"
        + "".join(
            f'data: <div class="l" data-at="{event_id}~{second:x}">{stamp(second * 1000)} INFO x: at {second}</div>\n'
            for second in seconds
        )
        + "\n"
    )


def test_a_resumed_merge_counts_the_lines_it_had_sent_of_an_event_it_sends_the_rest_of():
    """Resumed after 1 line of a's event of 3 (t 1, 3, 5) went out, with b's line at t 4: 3 and 4 go out, 5 waits
    for b; the cursor says 2 lines of that event are out, not 1 (else a resume would send 3 again)."""
    files = [("a.log", _opened(_event("a1", 1, 3, 5))), ("b.log", _opened(_event("b1", 4)))]
    merged_events = interleave.stream(files, interleave.resumed("a0+1,", 2), 1000, 15.0, True)
    assert next(merged_events).startswith(b"retry:")
    event = next(merged_events).decode()
    assert event.startswith("id: a0+2,b1\n")
    assert [line.rpartition(": ")[2] for line in re.findall(r">([^<]*)</div>", event)] == ["at 3", "at 4"]
    merged_events.close()
