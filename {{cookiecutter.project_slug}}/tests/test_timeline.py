"""P/timeline: lines by level in time buckets over a family, from indexes kept in the state directory."""

from __future__ import annotations

import gzip
import os
import shutil
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from {{ cookiecutter.project_slug }} import granules, indexes
from {{ cookiecutter.project_slug }}.granules import Index, Layout, Reader

ORIGIN = datetime.fromisoformat("2026-11-25T03:00:00+00:00").timestamp()
LEVEL_WORDS = {"debug": "DEBUG", "info": "INFO", "warning": "WARNING", "error": "ERROR", "critical": "CRITICAL"}


def records(spec: list[tuple[int, str | None, int]]) -> str:
    """Lines of records a ``second`` after 03:00 UTC at a level (None: none), each followed by ``extra``
    continuation lines (a traceback's)."""
    out = []
    for n, (second, level, extra) in enumerate(spec):
        stamp = datetime.fromtimestamp(ORIGIN + second).astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
        word = LEVEL_WORDS[level] if level else "-"
        out.append(f"{stamp} {word:<8} app.worker: record {n}\n")
        out += [f"  File 'x.py', line {i}, in f{n}\n" for i in range(extra)]
    return "".join(out)


# (second after 03:00, level, continuation lines): the oldest file's first, the live file's last.
PACKED = [(0, "info", 0), (5, "info", 0), (9, "error", 3), (30, "info", 0), (59, "debug", 0)]
ROTATED = [(60, "warning", 0), (61, "warning", 1), (90, "info", 0), (119, "critical", 2)]
LIVE = [(120, "info", 0), (150, None, 0), (170, "error", 0), (179, "info", 0)]


def expected(spec: list[tuple[int, str | None, int]], width: int) -> dict[int, dict[str, int]]:
    """Counts by bucket (of ``width`` seconds from 03:00) and level; a continuation counts with its record."""
    found: dict[int, dict[str, int]] = {}
    for second, level, extra in spec:
        counts = found.setdefault(second // width, {})
        counts[level or "none"] = counts.get(level or "none", 0) + 1 + extra
    return found


@pytest.fixture
def family(log_dir: Path) -> Path:
    log = log_dir / "app.log"
    with gzip.open(log_dir / "app.log.2.gz", "wt") as packed:
        packed.write(records(PACKED))
    (log_dir / "app.log.1").write_text(records(ROTATED))
    log.write_text(records(LIVE))
    return log


def timeline(client, query: str = "", name: str = "app.log") -> dict:
    answer = client.get(f"/logs/timeline/{name}{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def seconds(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def test_buckets_count_the_lines_of_each_level_over_the_family_compressed_siblings_included(client, family):
    answer = timeline(client, "?buckets=18")
    assert answer["file"] == "app.log" and answer["bucket_seconds"] == 10
    assert seconds(answer["from"]) == ORIGIN and seconds(answer["to"]) == ORIGIN + 180
    assert len(answer["buckets"]) == 18
    assert [seconds(bucket["start"]) - ORIGIN for bucket in answer["buckets"]] == list(range(0, 180, 10))
    want = expected(PACKED + ROTATED + LIVE, 10)
    assert {i: b["counts"] for i, b in enumerate(answer["buckets"]) if b["counts"]} == want
    assert sum(n for b in answer["buckets"] for n in b["counts"].values()) == 5 + 3 + 4 + 3 + 4


def test_each_bucket_names_its_first_line_and_the_position_opens_it_in_any_file(client, family):
    answer = timeline(client, "?buckets=18")
    firsts = {0: "record 0", 6: "record 0", 11: "record 3", 12: "record 0", 15: "record 1", 17: "record 2"}
    for bucket, text in firsts.items():
        at = answer["buckets"][bucket]["at"]
        lines = client.get(f"/logs/lines/app.log?from={quote(at)}&limit=1")
        assert lines.status_code == 200
        assert text in lines.get_data(as_text=True)
    assert answer["buckets"][1]["at"] is None and answer["buckets"][1]["counts"] == {}


def test_a_level_keeps_that_level_and_above_and_from_to_narrow_the_time(client, family):
    answer = timeline(client, "?buckets=10&level=warning&from=2026-11-25T03:01:00Z&to=2026-11-25T03:01:59Z")
    assert answer["bucket_seconds"] == 6 and seconds(answer["from"]) == ORIGIN + 60
    assert {i: b["counts"] for i, b in enumerate(answer["buckets"]) if b["counts"]} == {
        0: {"warning": 1 + 2},  # 03:01:00 and 03:01:01, the second with a continuation line
        9: {"critical": 1 + 2},  # 03:01:59, with two
    }


def test_bad_parameters_are_a_400_that_says_which(client, family):
    said = {
        "buckets=9": "buckets must be a whole number from 10 to 2000",
        "buckets=2001": "buckets must be a whole number from 10 to 2000",
        "buckets=ten": "buckets must be a whole number from 10 to 2000",
        "from=yesterday": "from must be a time",
        "to=2026-02-31T00:00": "not a valid time",
        "from=2026-11-25T04:00:00Z&to=2026-11-25T03:00:00Z": "from must not be after to",
        "level=loud": "level must be one of",
    }
    for query, sentence in said.items():
        answer = client.get(f"/logs/timeline/app.log?{query}")
        assert answer.status_code == 400, query
        assert sentence in answer.get_data(as_text=True), query
    assert client.get("/logs/timeline/nothing.log").status_code == 404
    assert client.get("/logs/timeline/..%2F..%2Fetc%2Fpasswd").status_code in (400, 403, 404)


def test_a_file_without_stamps_answers_so(client, log_dir):
    (log_dir / "plain.log").write_text("no time here\nnor here\n")
    answer = timeline(client, name="plain.log")
    assert answer["buckets"] == [] and "time stamp" in answer["note"]


def _tamper(state_dir: Path, log: Path, added: int) -> None:
    """Add ``added`` info lines to the first granule of ``log``'s saved index: a rebuild would lose them."""
    saved = granules.index_path(state_dir, log.stat().st_ino)
    index = Index.load(saved)
    index.counts[0, 2] += added
    index.save(saved)


def total(answer: dict) -> int:
    return sum(n for bucket in answer["buckets"] for n in bucket["counts"].values())


def lines_of(*specs: list[tuple[int, str | None, int]]) -> int:
    return sum(1 + extra for spec in specs for _second, _level, extra in spec)


def test_the_index_is_kept_reused_and_extended_as_the_file_grows(client, family, state_dir):
    assert total(timeline(client, "?buckets=18")) == lines_of(PACKED, ROTATED, LIVE)
    saved = granules.index_path(state_dir, family.stat().st_ino)
    assert saved.exists() and Index.load(saved).indexed == family.stat().st_size
    _tamper(state_dir, family, 1000)
    assert total(timeline(client, "?buckets=18")) == lines_of(PACKED, ROTATED, LIVE) + 1000  # the kept index
    with open(family, "a") as fh:
        fh.write(records([(175, "error", 2)]))
    grown = timeline(client, "?buckets=18")
    assert total(grown) == lines_of(PACKED, ROTATED, LIVE) + 1000 + 3  # read on from where it stopped
    assert grown["buckets"][17]["counts"]["error"] == 1 + 3
    assert Index.load(saved).indexed == family.stat().st_size


def test_a_copytruncate_or_a_new_file_starts_the_index_again(client, family, state_dir, log_dir):
    timeline(client, "?buckets=18")
    _tamper(state_dir, family, 1000)
    (log_dir / "app.log.1").unlink()
    shutil.copy(family, log_dir / "app.log.1")  # copytruncate: the copy is a new file, the log starts again
    with open(family, "r+") as fh:
        fh.truncate(0)
        fh.write(records([(170, "critical", 0)] * 9))  # longer than before: only its bytes tell
    after = timeline(client, "?buckets=18")
    assert total(after) == lines_of(PACKED, LIVE) + 9
    assert after["buckets"][17]["counts"] == {"critical": 9, "error": 1, "info": 1}
    os.replace(log_dir / "app.log.1", family)  # another file at the log's name
    assert total(timeline(client, "?buckets=18")) == lines_of(PACKED, LIVE)


def test_a_big_index_is_built_in_a_process_of_its_own_with_the_same_counts(client, family, state_dir, monkeypatch):
    inline = timeline(client, "?buckets=18")
    for saved in state_dir.glob("timeline-*"):
        saved.unlink()
    built = []
    real = indexes.Indexes._build
    monkeypatch.setattr(indexes, "THREAD_BYTES", 0)
    monkeypatch.setattr(indexes.Indexes, "_build", lambda own, path, to: built.append(path) or real(own, path, to))
    assert timeline(client, "?buckets=18") == inline
    assert len(built) == 3


def test_a_corrupt_compressed_sibling_is_left_out(client, family, log_dir):
    (log_dir / "app.log.3.gz").write_bytes(b"\x1f\x8b\x08\x00not gzip at all")
    assert total(timeline(client, "?buckets=18")) == lines_of(PACKED, ROTATED, LIVE)


# Records of other layouts: each read in bulk must count as read line by line.
LAYOUTS = {
    "logging": "2026-11-25 03:0{m}:{s:02d},123 {L:<8} app: message {n}\n",
    "syslog": "Nov 25 03:0{m}:{s:02d} host sshd[12]: {L} message {n}\n",
    "logcat": "11-25 03:0{m}:{s:02d}.120  1234  1240 {l} Tag: message {n}\n",
    "slashed": "2026/11/25 03:0{m}:{s:02d} [{L}] message {n}\n",
    "compact": "261125 030{m}{s:02d} 12 {L} dfs.DataNode: message {n}\n",
}


@pytest.mark.parametrize("name", LAYOUTS)
def test_counting_in_bulk_matches_reading_line_by_line(name):
    words = ["INFO", "WARN", "ERROR", "DEBUG", "INFO", "FATAL"]
    lines = []
    for n in range(400):
        m, s = divmod(n * 7 % 300, 60)
        word = words[n % 6]
        lines.append(LAYOUTS[name].format(m=m, s=s, n=n, L=word, l=word[0]))
        if n % 9 == 0:
            lines.append("    at com.example.Thing(Thing.java:12)\n")
    data = "".join(lines).encode()
    layout = granules.learn(data)
    assert layout.stamp, name
    block = bytearray(data + bytes(granules.PAD))
    bulk = Reader(layout, 0.0).count(block, 0, b"")
    one_by_one = Reader(Layout(), 0.0).count(block, 0, b"")
    assert bulk.keys.tolist() == one_by_one.keys.tolist() and bulk.keys.size == 300
    assert bulk.counts.tolist() == one_by_one.counts.tolist()
    assert bulk.offsets.tolist() == one_by_one.offsets.tolist()
    assert bulk.counts.sum() == len(lines)


def test_several_files_have_one_timeline(client, family, log_dir):
    (log_dir / "other.log").write_text(records([(5, "critical", 0), (125, "warning", 1)]))
    found = client.get("/logs/timeline?files=app.log,other.log&buckets=18")
    assert found.status_code == 200
    answer = found.get_json()
    assert answer["file"] == "app.log,other.log" and answer["bucket_seconds"] == 10
    want = expected(PACKED + ROTATED + LIVE + [(5, "critical", 0), (125, "warning", 1)], 10)
    assert {i: b["counts"] for i, b in enumerate(answer["buckets"]) if b["counts"]} == want
    assert client.get("/logs/timeline?files=app.log,nothing.log").status_code == 404
