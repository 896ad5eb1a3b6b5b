"""P/timeline against real gunicorn (gevent workers): a family's counts, a big file's index built in a process."""

from __future__ import annotations

import gzip
import json
import time
from collections import Counter
from datetime import datetime
from urllib.parse import quote

import pytest
from helpers import PREFIX, fetch

pytestmark = [pytest.mark.integration]

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
START = datetime(2026, 11, 25, 3, 0, 0).timestamp()  # the server's local time, as the records' stamps are


def records(first: int, count: int, step_ms: int) -> tuple[str, Counter]:
    """``count`` logging records ``step_ms`` apart from record ``first`` on, a traceback after every 50th; and
    how many lines each (second, level) has."""
    lines, counts = [], Counter()
    for i in range(first, first + count):
        moment = START + i * step_ms / 1000
        level = LEVELS[i * 7 % 5]
        stamp = datetime.fromtimestamp(moment).strftime("%Y-%m-%d %H:%M:%S") + f",{i * step_ms % 1000:03d}"
        lines.append(f"{stamp} {level:<8} app.part{i % 3}: request {i} served\n")
        extra = 3 if i % 50 == 0 else 0
        lines += ["Traceback (most recent call last):\n", "  File 'x', line 1\n", "KeyError: 'k'\n"][:extra]
        counts[int(moment), level.lower()] += 1 + extra
    return "".join(lines), counts


def by_bucket(counts: Counter, answer: dict) -> dict[int, dict[str, int]]:
    origin, width = datetime.fromisoformat(answer["from"]).timestamp(), answer["bucket_seconds"]
    found: dict[int, dict[str, int]] = {}
    for (second, level), n in counts.items():
        bucket = found.setdefault(int((second - origin) // width), {})
        bucket[level] = bucket.get(level, 0) + n
    return found


def timeline(server, name: str, query: str = "") -> dict:
    answer = fetch(server.address, f"{PREFIX}/timeline/{name}{query}")
    assert answer.status == 200, answer.body[:300]
    assert answer.headers["Content-Type"] == "application/json"
    return json.loads(answer.body)


def test_a_familys_timeline_counts_every_line_and_each_bucket_opens_at_its_first_line(server):
    packed, packed_counts = records(0, 600, 100)
    rotated, rotated_counts = records(600, 600, 100)
    live, live_counts = records(1200, 600, 100)
    with gzip.open(server.log_dir / "app.log.2.gz", "wt") as fh:
        fh.write(packed)
    (server.log_dir / "app.log.1").write_text(rotated)
    (server.log_dir / "app.log").write_text(live)
    answer = timeline(server, "app.log", "?buckets=30")
    assert answer["bucket_seconds"] == 6 and len(answer["buckets"]) == 30
    got = {i: bucket["counts"] for i, bucket in enumerate(answer["buckets"]) if bucket["counts"]}
    assert got == by_bucket(packed_counts + rotated_counts + live_counts, answer)
    for bucket in answer["buckets"][::7]:
        lines = fetch(server.address, f"{PREFIX}/lines/app.log?from={quote(bucket['at'])}&limit=1").body.decode()
        first_second = datetime.fromisoformat(bucket["start"]).strftime("%Y-%m-%d %H:%M:%S")
        assert first_second + ",000 " in lines


def test_a_big_files_index_is_built_in_a_process_of_its_own(server):
    counts: Counter = Counter()
    with open(server.log_dir / "huge.log", "w") as fh:  # about 80 MB: more than a worker reads itself
        for second in range(600):
            stamp = datetime.fromtimestamp(START + second).strftime("%Y-%m-%d %H:%M:%S")
            level = LEVELS[second % 5]
            fh.write(f"{stamp},500 {level:<8} app.part: one of the many records of this second\n" * 1300)
            counts[int(START + second), level.lower()] = 1300
    answer = timeline(server, "huge.log", "?buckets=60")
    assert answer["bucket_seconds"] == 10
    assert {i: b["counts"] for i, b in enumerate(answer["buckets"]) if b["counts"]} == by_bucket(counts, answer)


def test_a_files_index_is_read_on_as_the_file_grows(server):
    text, counts = records(0, 120_000, 5)  # about 7 MB: read in a thread of the worker
    log = server.log_dir / "big.log"
    log.write_text(text)
    answer = timeline(server, "big.log", "?buckets=100")
    assert {i: b["counts"] for i, b in enumerate(answer["buckets"]) if b["counts"]} == by_bucket(counts, answer)
    started = time.perf_counter()
    again = timeline(server, "big.log", "?buckets=100")
    assert again == answer
    print(f"a later timeline of 7 MB: {(time.perf_counter() - started) * 1000:.1f} ms")
    more, more_counts = records(120_000, 1000, 5)
    with open(log, "a") as fh:
        fh.write(more)
    grown = timeline(server, "big.log", "?buckets=100")
    assert {i: b["counts"] for i, b in enumerate(grown["buckets"]) if b["counts"]} == by_bucket(
        counts + more_counts, grown
    )
