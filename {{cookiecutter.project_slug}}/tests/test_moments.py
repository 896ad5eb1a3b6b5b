"""Times: a line's stamp in each format, and the first line at or after a time, by bisection."""

from __future__ import annotations

import html
import os
import re
import time
from datetime import UTC, datetime

import pytest
from helpers import PREFIX, append_lines

from {{ cookiecutter.project_slug }}.moments import BLOCK, LineTimes, first_at_or_after, parse_moment, time_of

NOON_UTC = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC).timestamp()
NOON_LOCAL = datetime(2026, 11, 25, 12, 0, 0).timestamp()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2026-11-25T12:00:00Z INFO x", NOON_UTC),
        ("2026-11-25T13:30:00+01:30 x", NOON_UTC),
        ("2026-11-25 12:00:00,250 ERROR app: x", NOON_LOCAL + 0.25),
        ('time=2026-11-25T12:00:00.5Z level=info msg="x"', NOON_UTC + 0.5),
        ("2026/11/25 12:00:00 [error] 1#0: x", NOON_LOCAL),
        ('203.0.113.1 - - [25/Nov/2026:12:00:00 +0000] "GET / HTTP/1.1" 200 1', NOON_UTC),
        ('{"level":30,"time":' + str(int(NOON_UTC * 1000)) + ',"msg":"x"}', NOON_UTC),
        ('{"ts": ' + str(int(NOON_UTC)) + '.5, "msg": "x"}', NOON_UTC + 0.5),
        ("Nov 25 12:00:00 host prog[1]: x", datetime(time.localtime().tm_year, 11, 25, 12).timestamp()),
        ("2026-11-25-12.00.00.250000 R02-M1 RAS KERNEL INFO x", NOON_LOCAL + 0.25),
        ("26/11/25 12:00:00 INFO executor.Executor: x", NOON_LOCAL),
        ("261125 120000 148 INFO dfs.DataNode: x", NOON_LOCAL),
        ("[Wed Nov 25 12:00:00.250 2026] [core:error] [pid 1] AH00111: x", NOON_LOCAL + 0.25),
        ("1:M 25 Nov 2026 12:00:00.250 * Ready to accept connections", NOON_LOCAL + 0.25),
        ('{"__REALTIME_TIMESTAMP" : "' + str(int(NOON_UTC * 1_000_000)) + '", "MESSAGE" : "x"}', NOON_UTC),
        ("2026-11-25T12:00:00.123456789Z stdout F x", NOON_UTC + 0.123456789),
        ("  File 'x.py', line 12, in f", None),
        ("x 261125 120000 not at the start: some numbers", None),
        ("2026-02-31 12:00:00 not a day", None),
        ("x" * 200 + " 2026-11-25T12:00:00Z too far into the line", None),
    ],
)
def test_a_lines_time(line, expected):
    assert time_of(line) == expected


@pytest.mark.parametrize(
    ("line", "written", "expected"),
    [
        ("Nov 25 12:00:00 host prog[1]: x", datetime(2026, 12, 1), datetime(2026, 11, 25, 12)),
        ("Dec 31 23:59:59 host prog[1]: x", datetime(2027, 1, 2), datetime(2026, 12, 31, 23, 59, 59)),
        ("11-25 12:00:00.500  1702  2395 D Tag: x", datetime(2026, 12, 1), datetime(2026, 11, 25, 12, 0, 0, 500000)),
        ("12-31 23:00:00.000  1702  2395 I Tag: x", datetime(2027, 1, 2), datetime(2026, 12, 31, 23)),
    ],
)
def test_a_stamp_without_a_year_takes_its_files(line, written, expected):
    """The year of the file's last write, or the one before when the month comes after that one's."""
    assert time_of(line, written.timestamp()) == expected.timestamp()


# Each stamp format, as a line maker for a moment (epoch seconds): going to a time is a bisection over them.
STAMPS = {
    "iso": lambda t: datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3] + " INFO app: x",
    "dotted": lambda t: datetime.fromtimestamp(t).strftime("%Y-%m-%d-%H.%M.%S.%f") + " R02 RAS KERNEL INFO x",
    "slashed": lambda t: datetime.fromtimestamp(t).strftime("%Y/%m/%d %H:%M:%S") + " [error] 1#0: x",
    "short": lambda t: datetime.fromtimestamp(t).strftime("%y/%m/%d %H:%M:%S") + " INFO executor.Executor: x",
    "compact": lambda t: datetime.fromtimestamp(t).strftime("%y%m%d %H%M%S") + " 148 INFO dfs.DataNode: x",
    "access": lambda t: (
        "203.0.113.1 - - ["
        + datetime.fromtimestamp(t, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
        + '] "GET / HTTP/1.1" 200 1'
    ),
    "epoch": lambda t: '{"level":30,"time":' + str(int(t * 1000)) + ',"msg":"x"}',
    "syslog": lambda t: datetime.fromtimestamp(t).strftime("%b %d %H:%M:%S") + " host prog[1]: x",
    "logcat": lambda t: datetime.fromtimestamp(t).strftime("%m-%d %H:%M:%S.%f")[:-3] + "  1702  2395 I Tag: x",
}


@pytest.mark.parametrize("name", STAMPS)
def test_a_files_times_read_fast_are_the_times_read_whole(name):
    """LineTimes learns a file's stamp from its first line and computes each second once: the same times, for
    lines of every second and fraction, a traceback among them, and lines of another layout."""
    written = datetime(2026, 12, 1).timestamp()
    times = LineTimes(written)
    moments = [NOON_LOCAL + i * 0.37 for i in range(400)]
    lines = [STAMPS[name](moment) for moment in moments]
    lines[50:50] = ["Traceback (most recent call last):", "  File 'x.py', line 1"]
    lines[120:120] = [STAMPS["iso" if name != "iso" else "slashed"](NOON_LOCAL + 99.5)]
    assert [times.of(line) for line in lines] == [time_of(line, written) for line in lines]


@pytest.mark.parametrize("name", STAMPS)
def test_going_to_the_time_of_the_1000th_line_lands_on_it_in_every_format(tmp_path, name):
    """2,000 lines a second apart (ending in November, so year-less stamps need the file's year)."""
    log = tmp_path / "stamped.log"
    first = datetime(2026, 11, 25, 11, 0, 0).timestamp()
    lines = [STAMPS[name](first + i) for i in range(2000)]
    log.write_text("".join(line + "\n" for line in lines))
    os.utime(log, (first + 3000, first + 3000))
    assert time_of(lines[1000], first + 3000) == first + 1000
    assert first_at_or_after(str(log), first + 1000) == sum(len(line) + 1 for line in lines[:1000])
    assert first_at_or_after(str(log), first + 999.5) == sum(len(line) + 1 for line in lines[:1000])


def test_parse_moment():
    assert parse_moment("2026-11-25T12:00:00Z") == NOON_UTC
    assert parse_moment("2026-11-25T12:00:00") == NOON_LOCAL
    assert parse_moment("2026-11-25T12:00") == NOON_LOCAL
    assert parse_moment("yesterday") is None


def stamped_log(path, count: int, every: int = 1) -> list[str]:
    """A log of ``count`` records a second apart from noon UTC, each ``every``-th with a traceback."""
    lines = []
    for i in range(count):
        stamp = datetime.fromtimestamp(NOON_UTC + i, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"{stamp} INFO app: record {i} {'.' * 60}")
        if i % every == 0:
            lines += ["Traceback (most recent call last):", "  File 'x.py', line 1", "KeyError: 'k'"]
    append_lines(path, lines)
    return lines


@pytest.mark.parametrize("every", [1, 7])
def test_the_first_line_at_or_after_a_time(tmp_path, every):
    log = tmp_path / "app.log"
    stamped_log(log, 20_000, every)
    assert log.stat().st_size > 20 * BLOCK
    data = log.read_bytes()
    for second in (0, 1, 999, 12_345, 19_999):
        offset = first_at_or_after(str(log), NOON_UTC + second - 0.5)
        assert f"record {second} " in data[offset:].split(b"\n", 1)[0].decode()
    assert first_at_or_after(str(log), NOON_UTC - 3600) == 0
    assert first_at_or_after(str(log), NOON_UTC + 10**6) == len(data)


def test_times_out_of_order_land_near_the_place(tmp_path):
    """Two threads' records interleaved, each a few seconds off the other: within a few lines."""
    log = tmp_path / "app.log"
    lines = []
    for i in range(20_000):
        skew = 3 if i % 2 else 0
        stamp = datetime.fromtimestamp(NOON_UTC + i + skew, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"{stamp} INFO thread-{i % 2}: record {i} {'.' * 60}")
    append_lines(log, lines)
    data = log.read_bytes()
    offset = first_at_or_after(str(log), NOON_UTC + 10_000)
    found = int(data[offset:].split(b"\n", 1)[0].split(b"record ")[1].split()[0])
    assert abs(found - 10_000) <= 4


def test_lines_and_view_take_a_time(client, log_dir):
    log = log_dir / "timed.log"
    lines = stamped_log(log, 500, every=1000)
    os.utime(log)
    response = client.get(f"{PREFIX}/lines/timed.log?from=2026-11-25T12:01:40Z&limit=2")
    assert response.status_code == 200
    texts = [html.unescape(text) for text in re.findall(r'<div class="l"[^>]*>([^<]*)', response.text)]
    assert texts == [lines[103], lines[104]]  # records 100 and 101 (record 0 has a traceback of three lines)
    assert client.get(f"{PREFIX}/view/timed.log?at=2026-11-25T12:01:40Z").status_code == 200
    assert client.get(f"{PREFIX}/view/timed.log?at=2026-13-45T12:01:40").status_code == 400
    after = client.get(f"{PREFIX}/lines/timed.log?from=2026-11-26T00:00:00Z")
    assert after.status_code == 200 and after.get_data() == b"" and after.headers["X-Log-Last"] == "1"
    assert len(lines) == 503
