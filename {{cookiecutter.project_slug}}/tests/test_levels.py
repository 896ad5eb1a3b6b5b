"""Levels: recognised per format, never from a word inside a message, continuation lines with their record."""

from __future__ import annotations

import re

import pytest
from helpers import PREFIX, append_lines, logging_records

from {{ cookiecutter.project_slug }}.levels import LevelRefused, Levels, at_least, level_of, parse_level

# (line, level): each format, with lines that must not be given a level.
CORPUS = [
    # Python logging: the default format, and common ones
    ("ERROR:root:boom", "error"),
    ("WARNING:app.db:slow", "warning"),
    ("2026-11-25 03:00:00,123 CRITICAL app: down", "critical"),
    ("2026-11-25 03:00:00,123 - app - DEBUG - details", "debug"),
    ("[2026-11-25 03:00:00,123] INFO in app: started", "info"),
    ("2026-11-25 03:00:00,123 app: request failed with ERROR 500", None),
    ("2026-11-25 03:00:00 job ERROR x", None),
    # syslog: the priority when written, else no level from the message
    ("<11>Nov 25 03:00:00 host prog[1]: failed", "error"),
    ("<14>Nov 25 03:00:00 host prog[1]: fine", "info"),
    ("Nov 25 03:00:00 host sshd[1]: error: maximum authentication attempts", None),
    # JSON lines
    ('{"time":"2026-11-25T03:00:00Z","level":"WARN","msg":"careful"}', "warning"),
    ('{"levelname": "ERROR", "message": "boom"}', "error"),
    ('{"severity":"CRITICAL","message":"down"}', "critical"),
    ('{"lvl":"dbug","msg":"x"}', None),
    ('{"msg": "ERROR in the message only"}', None),
    # pino and bunyan numbers
    ('{"level":30,"time":1700000000000,"msg":"hi"}', "info"),
    ('{"level":50,"time":1700000000000,"msg":"boom"}', "error"),
    ('{"level":60,"msg":"fatal"}', "critical"),
    # logfmt and Go's slog text
    ('time=2026-11-25T03:00:00Z level=ERROR msg="boom"', "error"),
    ("ts=1 lvl=warn msg=x", "warning"),
    ('time=2026-11-25T03:00:00Z msg="level=error inside a value"', None),
    # brackets, nginx and Apache error logs
    ("[ERROR] boom", "error"),
    ("[2026-11-25 03:00:00] [warn] careful", "warning"),
    ("2026/11/25 03:00:00 [error] 12#0: *1 open() failed", "error"),
    ("[Tue Nov 25 03:00:00.123 2026] [core:crit] [pid 1] AH00111: x", "critical"),
    # log4j / logback
    ("2026-11-25 03:00:00.123 [main] ERROR com.example.App - boom", "error"),
    ("2026-11-25 03:00:00.123 [http-nio-8080-exec-1] WARN  c.e.Web - slow", "warning"),
    ("2026-11-25 03:00:00.123 [main] c.e.App - an ERROR in the message", None),
    # Go: log/slog text and glog
    ("E1125 03:00:00.123456    1 main.go:10] boom", "error"),
    ("W1125 03:00:00.123456    1 main.go:10] careful", "warning"),
    ("2026/11/25 03:00:00 handler: ERROR from upstream", None),
    # Rust tracing, plain and coloured
    ("2026-11-25T03:00:00.123456Z  INFO app::web: listening", "info"),
    ("2026-11-25T03:00:00.123456Z TRACE app::web: poll", "trace"),
    ("\x1b[2m2026-11-25T03:00:00.1Z\x1b[0m \x1b[31mERROR\x1b[0m \x1b[2mapp\x1b[0m: boom", "error"),
    # access logs, by status
    ('203.0.113.1 - - [25/Nov/2026:03:00:00 +0000] "GET / HTTP/1.1" 502 10 "-" "curl"', "error"),
    ('203.0.113.1 - - [25/Nov/2026:03:00:00 +0000] "GET /x HTTP/1.1" 404 10 "-" "curl"', "warning"),
    ('203.0.113.1 - - [25/Nov/2026:03:00:00 +0000] "GET /ERROR HTTP/1.1" 200 10 "-" "curl"', "info"),
    # Layouts that had no level before (issue 31), as public sample logs have them: Android's logcat
    # (threadtime), OpenStack's oslo.log (a pid before the level), Windows' CBS log, a Blue Gene/L RAS log
    # (the level a field in the middle; "error" in the message is not it)
    ("03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken", "debug"),
    ("03-17 16:13:38.839  1702  8671 E ActivityManager: Failed to schedule configuration change", "error"),
    ("03-17 16:13:38.859  2227  2227 I TextView: visible is system.time.showampm", "info"),
    ("2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b] 10.11.10.1", "info"),
    ("2017-05-16 00:00:02.011 25746 WARNING nova.compute.manager [req-1] While synchronizing instance", "warning"),
    ("2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505 with Core", "info"),
    ("2016-09-28 04:30:31, Error                 CSI    00000001 (F) STATUS_SXS_ASSEMBLY_MISSING", "error"),
    (
        "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL "
        "INFO instruction cache parity error corrected",
        "info",
    ),
    (
        "KERNDTLB 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-17.32.07.581048 R30-M0-N9-C:J16-U01 RAS "
        "KERNEL FATAL data TLB error interrupt",
        "critical",
    ),
    # .NET's console logger, as Microsoft's documentation shows it
    ("info: Microsoft.Hosting.Lifetime[14]", "info"),
    ("fail: Microsoft.AspNetCore.Server.Kestrel[13]", "error"),
    ("warn: Microsoft.AspNetCore.HttpsPolicy.HttpsRedirectionMiddleware[3]", "warning"),
    # as each one's documentation shows its lines: Kubernetes' CRI log (the app's own line after the stream
    # and tag), zap's console encoder (tabs), logrus on a terminal, Rust's env_logger, Serilog's console,
    # winston's simple format, PostgreSQL, MariaDB and MySQL, Redis's marks, Elasticsearch, Kafka, journalctl
    ("2026-11-25T03:00:00.123456789Z stdout F 2026-11-25 03:00:00,123 ERROR app: boom", "error"),
    ('2026-11-25T03:00:00.123456789Z stderr P {"level":"warn","msg":"a partial', "warning"),
    ("2026-11-25T03:00:00.000Z\tINFO\tapp/main.go:10\tstarted", "info"),
    ("INFO[0000] started                                       port=8080", "info"),
    ("ERRO[0001] request failed                                error=timeout", "error"),
    ("[2026-11-25T03:00:00Z ERROR my_app::server] boom", "error"),
    ("[15:04:05 WRN] Disk space is low", "warning"),
    ("error: connection refused", "error"),
    ('2026-11-25 03:00:00.123 UTC [123] ERROR:  relation "x" does not exist', "error"),
    ("2026-11-25 03:00:00.123 UTC [123] LOG:  database system is ready to accept connections", "info"),
    ("2026-11-25  3:00:00 0 [Note] InnoDB: Buffer pool(s) load completed", "info"),
    ("2026-11-25T03:00:00.123456Z 0 [ERROR] [MY-010119] [Server] Aborting", "error"),
    ("1:M 25 Nov 2026 03:00:00.123 * Ready to accept connections tcp", "info"),
    ("1:M 25 Nov 2026 03:00:00.123 # WARNING Memory overcommit must be enabled!", "warning"),
    ("[2026-11-25T03:00:00,123][WARN ][o.e.c.r.a.DiskThresholdMonitor] [node-1] high disk watermark", "warning"),
    ("[2026-11-25 03:00:00,123] INFO [KafkaServer id=0] started (kafka.server.KafkaServer)", "info"),
    ('{"__REALTIME_TIMESTAMP" : "1764039600123456", "PRIORITY" : "3", "MESSAGE" : "failed"}', "error"),
    # a capitalised word after a time that is a message, not a column
    ("2016-09-28 04:30:30 Error count is 3", None),
    # nothing to go by
    ("the quick brown fox", None),
    ("", None),
]


@pytest.mark.parametrize(("line", "level"), CORPUS, ids=[line[:50] or "empty" for line, _ in CORPUS])
def test_a_line_read_alone(line, level):
    assert level_of(line) == level


def test_continuation_lines_take_their_records_level():
    lines = [
        "2026-11-25 03:00:00,123 ERROR app: boom",
        "Traceback (most recent call last):",
        '  File "app.py", line 1, in <module>',
        "ValueError: bad",
        "",
        "2026-11-25 03:00:01,000 INFO app: next",
        "    an indented follow-up",
        "2026-11-25 03:00:02,000 app: no level here",
        "  follow-up of a record without a level",
    ]
    assert Levels().of(lines) == ["error"] * 5 + ["info"] * 2 + [None] * 2


def test_dotnet_console_messages_continue_their_category_line():
    """The console logger writes the level and category on one line and the message indented below it."""
    lines = ["info: Microsoft.Hosting.Lifetime[14]", "      Now listening on: https://localhost:5001"]
    lines += ["fail: Microsoft.AspNetCore.Server.Kestrel[13]", '      Connection id "0HLMD", Request id: failed']
    assert Levels().of(lines) == ["info", "info", "error", "error"]


LOGCAT_LETTERS = "VDIWEFA"


def logcat_records(count: int) -> list[str]:
    """logcat (threadtime) lines of every letter, pids and tids of varying width, and a line of another shape."""
    lines = []
    for i in range(count):
        pid, tid = 80 + i * 37 % 30000, 80 + i * 91 % 30000
        stamp = f"11-25 03:00:{i % 60:02d}.{i % 1000:03d}"
        lines.append(f"{stamp} {pid:5d} {tid:5d} {LOGCAT_LETTERS[i % 7]} Tag{i % 4}: m {i}")
        if i % 19 == 0:
            lines.append("--------- beginning of crash")
    return lines


def test_logcat_learns_the_column_of_its_letter():
    """The letter is at one column when pid and tid are padded to five places: looked up there, it gives
    what reading each line whole gives."""
    lines = logcat_records(200)
    learned = Levels()
    by_batches = [level for start in range(0, len(lines), 50) for level in learned.of(lines[start : start + 50])]
    assert (learned.column, learned.width) == (len("11-25 03:00:00.000 12345 12345 "), 2)
    alone = Levels()
    assert by_batches == [alone._whole(line) for line in lines]


def test_a_record_continues_into_the_next_batch():
    levels = Levels()
    assert levels.of(["2026-11-25 03:00:00,123 WARNING app: careful"]) == ["warning"]
    assert levels.of(["  still the warning", "2026-11-25 03:00:01,000 DEBUG app: x"]) == ["warning", "debug"]


def test_the_learned_column_gives_what_reading_whole_lines_gives():
    """Once the column is learned, lines of other shapes and continuations are still read right."""
    lines = logging_records(200)
    learned = Levels()
    by_batches = [level for start in range(0, len(lines), 50) for level in learned.of(lines[start : start + 50])]
    assert learned.column == len("2026-11-25 03:00:00,123 ")
    alone = Levels()
    assert by_batches == [alone._whole(line) for line in lines]


def test_a_file_whose_layout_changes_is_learned_again():
    """A service restarted with another layout: its level word moves; the column follows it."""
    levels = Levels()
    before = [f"2026-11-25 03:00:{i % 60:02d} INFO app: request {i}" for i in range(40)]
    assert levels.of(before) == ["info"] * 40
    assert levels.column == before[0].index("INFO")
    after = [f"[2026-11-25T03:01:{i % 60:02d}Z] [worker-{i % 4}] {'WARN' if i % 2 else 'ERROR'} x" for i in range(60)]
    assert levels.of(after) == ["error" if i % 2 == 0 else "warning" for i in range(60)]
    assert levels.column == after[0].index("ERROR")


def test_a_file_without_levels_is_sampled_until_one_shows():
    levels = Levels()
    plain = [f"seq={i} the quick brown fox" for i in range(1500)]
    assert levels.of(plain[:1000]) + levels.of(plain[1000:]) == [None] * 1500
    assert levels.of(["2026-11-25 03:00:00,123 ERROR app: at last", "  with a follow-up"]) == ["error", "error"]


def test_at_least_and_parse_level():
    assert at_least(["debug", None, "warning", "critical", "info"], "warning") == [False, False, True, True, False]
    assert parse_level(None) is None and parse_level("") is None and parse_level("error") == "error"
    with pytest.raises(LevelRefused):
        parse_level("loud")


LOG = [
    "2026-11-25 03:00:00,000 INFO app: started",
    "2026-11-25 03:00:01,000 ERROR app: boom needle",
    "Traceback (most recent call last):",
    "  File 'app.py', line 1, in <module>",
    "KeyError: 'needle'",
    "2026-11-25 03:00:02,000 DEBUG app: details needle",
    "2026-11-25 03:00:03,000 WARNING app: careful",
]


def elements(html: str) -> list[tuple[str | None, str]]:
    """(data-level, text) of each line element."""
    return [
        (level or None, text)
        for level, text in re.findall(r'<div class="l" data-at="[^"]+"(?: data-level="(\w+)")?[^>]*>(.*?)</div>', html)
    ]


def test_lines_carry_their_level_and_filter_by_it(client, log_dir):
    append_lines(log_dir / "levels.log", LOG)
    everything = elements(client.get(f"{PREFIX}/lines/levels.log?from=start").get_data(as_text=True))
    assert [level for level, _text in everything] == ["info"] + ["error"] * 4 + ["debug", "warning"]
    warnings = elements(client.get(f"{PREFIX}/lines/levels.log?from=start&level=warning").get_data(as_text=True))
    assert [text for _level, text in warnings] == [
        "2026-11-25 03:00:01,000 ERROR app: boom needle",
        "Traceback (most recent call last):",
        "  File 'app.py', line 1, in &lt;module&gt;",
        "KeyError: 'needle'",
        "2026-11-25 03:00:03,000 WARNING app: careful",
    ]


def test_lines_read_back_inside_a_traceback_take_its_records_level(client, log_dir):
    append_lines(log_dir / "levels.log", LOG)
    first = client.get(f"{PREFIX}/lines/levels.log?from=start&limit=3").get_data(as_text=True)
    at = re.findall(r'data-at="([^"]+)"', first)[-1]  # "Traceback (most recent call last):"
    rest = client.get(f"{PREFIX}/lines/levels.log?from={at}&limit=3&level=error").get_data(as_text=True)
    assert elements(rest) == [
        ("error", "Traceback (most recent call last):"),
        ("error", "  File 'app.py', line 1, in &lt;module&gt;"),
        ("error", "KeyError: 'needle'"),
    ]


def test_the_stream_filters_by_level(client, log_dir):
    append_lines(log_dir / "levels.log", LOG)
    response = client.get(f"{PREFIX}/stream/levels.log?level=error", buffered=False)
    try:
        first = b""
        for chunk in response.response:
            first += chunk
            if b"data:" in first:
                break
    finally:
        response.close()
    shown = [text for _level, text in elements(first.decode())]
    assert shown == [
        "2026-11-25 03:00:01,000 ERROR app: boom needle",
        "Traceback (most recent call last):",
        "  File 'app.py', line 1, in &lt;module&gt;",
        "KeyError: 'needle'",
    ]


def test_search_filters_by_level(client, log_dir):
    append_lines(log_dir / "levels.log", LOG)
    response = client.get(f"{PREFIX}/search/levels.log?q=needle&level=info")
    found = elements(response.get_data(as_text=True))
    response.close()
    assert found == [("error", "2026-11-25 03:00:01,000 ERROR app: boom needle")]


@pytest.mark.parametrize("route", ["lines/levels.log", "stream/levels.log", "search/levels.log?q=x", "view/levels.log"])
def test_an_unknown_level_is_a_400(client, log_dir, route):
    append_lines(log_dir / "levels.log", LOG)
    joiner = "&" if "?" in route else "?"
    response = client.get(f"{PREFIX}/{route}{joiner}level=loud")
    assert response.status_code == 400 and "level must be one of" in response.get_data(as_text=True)
