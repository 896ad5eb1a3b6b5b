import bz2
import gzip
import json
import lzma
import os
import re
from pathlib import Path

import pytest
import zstandard
from helpers import PREFIX, append_lines

from {{ cookiecutter.project_slug }} import ripgrep
from {{ cookiecutter.project_slug }}.config import Settings
from {{ cookiecutter.project_slug }}.history import locate, parse_at, read_from

MATCH = re.compile(r'<div class="l" data-at="([^"]+)" data-file="([^"]+)">(.*?)</div>')


def searched(client, query: str):
    """A finished search: read to its end and closed (which frees its slot, as a server does)."""
    response = client.get(f"{PREFIX}/search/{query}")
    response.get_data()
    response.close()
    return response


def events(response) -> list[tuple[str, str]]:
    """(name, data) of each event of a finished search."""
    found = []
    for block in response.get_data(as_text=True).split("\n\n"):
        fields = [line for line in block.split("\n") if line and not line.startswith(":")]
        if fields:
            name = next((f[7:] for f in fields if f.startswith("event: ")), "message")
            found.append((name, "\n".join(f[6:] for f in fields if f.startswith("data: "))))
    return found


def matches(response) -> list[tuple[str, str, str]]:
    """(data-at, data-file, text) of every match, in order."""
    return [m for name, data in events(response) if name == "message" for m in MATCH.findall(data)]


def done(response) -> dict:
    name, data = events(response)[-1]
    assert name == "done"
    return json.loads(data)


@pytest.fixture
def rotated(log_dir: Path) -> Path:
    """main.log with two rotated siblings: main.log.1 (plain) and main.log.2.gz, oldest last."""
    (log_dir / "main.log.2.gz").write_bytes(gzip.compress(b"oldest Needle\nnothing\n"))
    (log_dir / "main.log.1").write_text("older needle\nnothing\n")
    (log_dir / "main.log").write_text("current NEEDLE one\nnothing\ncurrent needle two\nneedle being writ")
    for age, name in enumerate(["main.log", "main.log.1", "main.log.2.gz"]):
        os.utime(log_dir / name, (1_700_000_000 - age * 3600,) * 2)
    return log_dir / "main.log"


def test_the_file_then_its_siblings_newest_first_ignoring_case(client, rotated):
    response = searched(client, "main.log?q=needle")
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert [(file, text) for _at, file, text in matches(response)] == [
        ("main.log", "current NEEDLE one"),
        ("main.log", "current needle two"),
        ("main.log.1", "older needle"),
        ("main.log.2.gz", "oldest Needle"),
    ]
    scanned = sum(p.stat().st_size for p in rotated.parent.glob("main.log*"))
    assert done(response) == {"matches": 4, "scanned": scanned, "truncated": False, "notes": []}


def test_every_compression_logrotate_may_use_is_searched_in_the_order_of_the_names(client, log_dir):
    """``compresscmd`` bzip2, xz or zstd as well as gzip; one last write for all: the names give the order."""
    packed = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress, ".zst": zstandard.compress}
    (log_dir / "main.log").write_text("needle 0\n")
    for number, (suffix, compress) in enumerate(packed.items(), 1):
        (log_dir / f"main.log.{number}{suffix}").write_bytes(compress(f"needle {number}\n".encode()))
    for member in log_dir.iterdir():
        os.utime(member, (1_700_000_000,) * 2)
    response = searched(client, "main.log?q=needle")
    assert [text for _at, _file, text in matches(response)] == [f"needle {n}" for n in range(5)]
    assert done(response)["notes"] == []


def test_each_match_opens_its_line(client, rotated):
    for at, _file, text in matches(searched(client, "main.log?q=needle"))[:3]:
        holder, position = locate(rotated, parse_at(at))
        assert read_from(holder, position, 1, 1000).lines == [text]


def test_regex_and_case(client, rotated):
    regex = matches(searched(client, "main.log?q=ne%2Bdle%20(one|two)&regex=1"))
    assert [text for _at, _file, text in regex] == ["current NEEDLE one", "current needle two"]
    literal = matches(searched(client, "main.log?q=ne%2Bdle&regex=0"))
    assert literal == []
    cased = matches(searched(client, "main.log?q=Needle&case=1"))
    assert [text for _at, _file, text in cased] == ["oldest Needle"]


@pytest.mark.parametrize(
    ("every", "long_line_at"),
    [(1, None), (997, None), (997, 0.25), (1, 0.5)],
    ids=["every line", "sparse", "sparse, a long line at a share", "every line, a long line at a share"],
)
def test_a_big_file_in_parts_gives_every_match_once_in_order(client, log_dir, monkeypatch, every, long_line_at):
    """Four ripgreps over a 4 MB file cut at line starts, each stopped at the next one's start: by a match past
    it (every line matches) or by reading past it (sparse). Where a share falls in a long line, fewer parts."""
    monkeypatch.setattr(ripgrep, "PART_BYTES", 1_000_000)
    monkeypatch.setattr(ripgrep, "LINE_START_BYTES", 4096)
    monkeypatch.setattr(ripgrep.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    lines = [f"line {i:08d} {'needle' if i % every == 0 else 'hay___'} {'.' * 80}" for i in range(40_000)]
    if long_line_at is not None:
        lines[int(len(lines) * long_line_at)] = "needle " + "x" * 10_000
    log = log_dir / "main.log"
    append_lines(log, lines)
    response = searched(client, "main.log?q=needle&limit=100000")
    found = matches(response)
    assert [text for _at, _file, text in found] == [line for line in lines if "needle" in line]
    assert done(response) == {"matches": len(found), "scanned": log.stat().st_size, "truncated": False, "notes": []}
    for at, _file, text in found[:: max(1, len(found) // 7)]:
        holder, position = locate(log, parse_at(at))
        assert read_from(holder, position, 1, 100_000).lines == [text]


def test_the_limit_truncates(client, log_dir):
    (log_dir / "main.log").write_text("".join(f"hit {i}\n" for i in range(50)))
    response = searched(client, "main.log?q=hit&limit=7")
    assert [text for _at, _file, text in matches(response)] == [f"hit {i}" for i in range(7)]
    assert done(response)["truncated"] is True and done(response)["matches"] == 7


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ("q=", "q is empty"),
        ("", "q is empty"),
        ("q=(unclosed&regex=1", "does not compile"),
        ("q=two%0Alines", "may not hold a line break"),
        ("q=x&limit=0", "limit"),
    ],
)
def test_bad_queries_are_a_400_with_a_sentence(client, query, sentence):
    response = searched(client, f"main.log?{query}")
    assert response.status_code == 400 and sentence in response.text


def test_a_pattern_that_backtracks_forever_elsewhere_is_linear_here(client, log_dir):
    (log_dir / "main.log").write_text("a" * 100_000 + "!\n" + "aaa\n")
    response = searched(client, "main.log?q=(a%2B)%2B$&regex=1")
    assert [text for _at, _file, text in matches(response)] == ["aaa"]


def test_binary_invalid_utf8_and_long_lines(client, log_dir):
    limit = Settings().max_line_length
    (log_dir / "main.log").write_bytes(
        b"\x00\x01 bin needle\n\xff\xfe needle\n" + b"needle" + b"x" * (limit + 10) + b"\n"
    )
    texts = [text for _at, _file, text in matches(searched(client, "main.log?q=needle"))]
    assert texts[0] == "\x00\x01 bin needle"
    assert texts[1] == "\ufffd\ufffd needle"
    assert texts[2].endswith(f"[… line cut at {limit} characters]")


@pytest.mark.parametrize(
    "packed",
    [
        gzip.compress(b"needle\n")[:10] + bytes(range(256)) * 4,
        gzip.compress(b"needle\n" + os.urandom(200_000).hex().encode())[:100_000],
    ],
    ids=["corrupt", "still being written"],
)
def test_a_corrupt_gz_sibling_is_a_note_not_an_error(client, log_dir, packed):
    (log_dir / "main.log.1.gz").write_bytes(packed)
    response = searched(client, "main.log?q=needle")
    assert response.status_code == 200
    notes = done(response)["notes"]
    assert len(notes) == 1 and notes[0].startswith("main.log.1.gz: "), notes


def test_searches_past_the_cap_get_a_429(client, log_dir):
    open_searches = [client.get(f"{PREFIX}/search/main.log?q=first", buffered=False) for _ in range(2)]
    try:
        refused = searched(client, "main.log?q=first")
        assert refused.status_code == 429 and "already running" in refused.text
    finally:
        for response in open_searches:
            response.close()
    assert searched(client, "main.log?q=first").status_code == 200


@pytest.mark.parametrize(("path", "status"), [("missing.log", 404), ("../etc/passwd", 403), ("bad%00.log", 400)])
def test_paths_are_checked_as_everywhere(client, path, status):
    assert searched(client, f"{path}?q=x").status_code == status
