import os
import shutil
from pathlib import Path

import pytest
from helpers import numbered_text
from hypothesis import given, settings
from hypothesis import strategies as st

from {{ cookiecutter.project_slug }}.cursor import Cursor, fingerprint, positions
from {{ cookiecutter.project_slug }}.history import (
    START,
    AtRefused,
    Lines,
    locate,
    parse_at,
    read_before,
    read_from,
    read_last,
)
from {{ cookiecutter.project_slug }}.text import CUT_MARKER

LIMIT = 1000  # max_line_length in these tests


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "app.log"


def ats(found: Lines) -> list[Cursor]:
    return [Cursor.decode(at) for at in positions(found.anchor, found.starts)]


def back_to_the_start(log: Path, limit: int) -> list[str]:
    """Every line of ``log``, read as the viewer scrolls up: the last lines, then ``before`` the first one shown."""
    found = read_last(str(log), limit, LIMIT)
    collected = []
    while True:
        collected[:0] = found.lines
        if found.at_first or not found.lines:
            return collected
        holder, position = locate(log, ats(found)[0])
        found = read_before(holder, position, limit, LIMIT)


def on_to_the_end(log: Path, limit: int) -> list[str]:
    """Every line of ``log``, read from the start and then ``from`` each answer's last line on."""
    found = read_from(*locate(log, START), limit, LIMIT)
    collected = list(found.lines)
    while not found.at_last:
        holder, position = locate(log, ats(found)[-1])
        found = read_from(holder, position, limit + 1, LIMIT)
        assert found.lines[0] == collected[-1]
        collected += found.lines[1:]
    return collected


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("start", START),
        ("123", 123),
        (" 7 ", 7),
        ("1f-2a00-c0ffee", Cursor(0x1F, 0x2A00, 0xC0FFEE)),
        ("1f-2a00-c0ffee~51", Cursor(0x1F, 0x2A00, 0xC0FFEE, 0x51)),
    ],
)
def test_parse_at_accepts_the_three_forms(text, parsed):
    assert parse_at(text) == parsed


@pytest.mark.parametrize(
    "text", ["", "-1", "1.5", "end", "1-2", "1-2-3~", "1-2-3~x", "1-2-3+1", "1-2-3~3", "١٢", "<script>"]
)
def test_parse_at_refuses_anything_else_with_a_sentence(text):
    with pytest.raises(AtRefused) as refused:
        parse_at(text)
    assert refused.value.status == 400 and "not a line position" in refused.value.message


def test_the_last_lines_leave_out_a_line_being_written(log):
    log.write_text(numbered_text(0, 500) + "half a line")
    found = read_last(str(log), 200, LIMIT)
    assert found.lines == [f"line {i}" for i in range(300, 500)]
    assert found.at_last and not found.at_first


def test_cut_lines_invalid_utf8_and_crlf_as_in_the_stream(log):
    log.write_bytes(b"a\r\n" + b"\xff\xfeb\n" + b"L" * 3000 + b"\n" + b"\xe2\x82" * 2000 + b"\n" + b"z\n")
    found = read_from(str(log), 0, 10, LIMIT)
    marker = CUT_MARKER.format(limit=LIMIT)
    assert found.lines == ["a", "\ufffd\ufffdb", "L" * LIMIT + marker, "\ufffd" * LIMIT + marker, "z"]
    assert found.at_first and found.at_last
    assert [at.position for at in ats(found)] == [0, 3, 7, 3008, 7009]


@pytest.mark.parametrize("limit", [1, 7, 200])
def test_scrolling_back_and_forth_reads_every_line_once(log, limit):
    lines = [f"{i} " + "x" * (i * 37 % 300) for i in range(2000)]
    log.write_text("\n".join(lines) + "\n")
    assert back_to_the_start(log, limit) == lines
    assert on_to_the_end(log, limit) == lines


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), min_size=1, max_size=60))
def test_property_any_bytes_read_back_as_the_stream_reads_them(tmp_path_factory, raw_lines):
    log = tmp_path_factory.mktemp("property") / "app.log"
    log.write_bytes(b"\n".join(raw_lines) + b"\n")
    expected = [line.decode("utf-8", "replace").removesuffix("\r") for line in raw_lines]
    assert back_to_the_start(log, 3) == expected
    assert on_to_the_end(log, 3) == expected


def test_a_position_is_checked_and_each_line_starts_where_it_says(log):
    log.write_text(numbered_text(0, 100))
    data = log.read_bytes()
    found = read_before(str(log), data.index(b"line 50\n"), 5, LIMIT)
    assert found.lines == [f"line {i}" for i in range(45, 50)]
    for line, at in zip(found.lines, ats(found), strict=True):
        assert data[at.position :].startswith(line.encode() + b"\n")
        assert at.fingerprint == fingerprint(data[: at.offset]) and at.inode == log.stat().st_ino


def test_a_byte_offset_means_the_line_holding_it(log):
    log.write_text(numbered_text(0, 10))
    inside = log.read_bytes().index(b"line 5\n") + 3
    holder, position = locate(log, parse_at(str(inside)))
    assert read_from(holder, position, 1, LIMIT).lines == ["line 5"]
    with pytest.raises(AtRefused) as refused:
        locate(log, parse_at("100000"))
    assert refused.value.status == 400 and "past the end" in refused.value.message


def take_position(log: Path, line: str) -> Cursor:
    found = read_last(str(log), 5000, LIMIT)
    return ats(found)[found.lines.index(line)]


def test_a_position_outlives_rename_rotation(log):
    log.write_text(numbered_text(0, 100))
    at = take_position(log, "line 42")
    log.rename(log.with_name("app.log.1"))
    log.write_text(numbered_text(100, 300))  # longer: the offset exists in the new file too
    holder, position = locate(log, at)
    assert holder == str(log.with_name("app.log.1"))
    assert read_from(holder, position, 2, LIMIT).lines == ["line 42", "line 43"]


def test_a_position_outlives_copytruncate_into_a_shifted_copy(log):
    log.write_text(numbered_text(0, 100))
    at = take_position(log, "line 42")
    shutil.copy(log, log.with_name("app.log.1"))
    os.truncate(log, 0)
    log.write_text(numbered_text(100, 300))  # same inode, other bytes at the offset
    os.rename(log.with_name("app.log.1"), log.with_name("app.log.2"))
    holder, position = locate(log, at)
    assert holder == str(log.with_name("app.log.2"))
    assert read_from(holder, position, 1, LIMIT).lines == ["line 42"]


def test_a_line_truly_gone_is_a_410(log):
    log.write_text(numbered_text(0, 100))
    at = take_position(log, "line 42")
    log.rename(log.with_name("app.log.1"))
    log.write_text(numbered_text(100, 300))
    log.with_name("app.log.1").unlink()
    with pytest.raises(AtRefused) as refused:
        locate(log, at)
    assert refused.value.status == 410 and "gone" in refused.value.message


def test_another_files_position_is_a_400(log):
    other = log.with_name("other.log")
    other.write_text(numbered_text(0, 100))
    log.write_text(numbered_text(0, 100))
    with pytest.raises(AtRefused) as refused:
        locate(log, take_position(other, "line 42"))
    assert refused.value.status == 400 and "other.log" in refused.value.message


def test_a_file_truncated_below_the_position_gives_its_nearest_line(log):
    log.write_text(numbered_text(0, 100))
    at = take_position(log, "line 90")
    os.truncate(log, log.read_bytes().index(b"line 10\n"))
    holder, position = locate(log, at)
    assert holder == str(log) and read_from(holder, position, 5, LIMIT).lines == ["line 9"]


def test_reading_back_from_the_end_of_a_large_file_reads_a_few_blocks(log, monkeypatch):
    with open(log, "wb") as fh:
        for _ in range(64):
            fh.write(b"x" * 79 + b"\n" * 1 + (b"y" * 79 + b"\n") * 13106)
    read = []
    original = os.pread
    monkeypatch.setattr(os, "pread", lambda fd, n, at: read.append(n) or original(fd, n, at))
    found = read_last(str(log), 200, LIMIT)
    middle = read_before(str(log), found.starts[0] - (log.stat().st_size // 2 // 80 * 80), 200, LIMIT)
    assert len(found.lines) == len(middle.lines) == 200
    assert sum(read) < 4 * 64 * 1024, f"read {sum(read)} bytes for 400 lines of a {log.stat().st_size}-byte file"
