"""Levels and times in a real browser: colours by level, the server's level filter, going to a time."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from helpers import LINES, PREFIX, append_lines, open_viewer, shown, wait_for_line

pytestmark = pytest.mark.browser

RECORDS = [
    "2026-11-25 12:00:00,000 INFO app: started",
    "2026-11-25 12:00:01,000 ERROR app: boom",
    "Traceback (most recent call last):",
    "KeyError: 'k'",
    "2026-11-25 12:00:02,000 DEBUG app: details",
    "2026-11-25 12:00:03,000 WARNING app: careful",
]


def colour(page, selector: str) -> str:
    return page.eval_on_selector(selector, "e => getComputedStyle(e).color")


def test_lines_are_coloured_by_level(page, log_dir):
    append_lines(log_dir / "app.log", RECORDS)
    open_viewer(page)
    wait_for_line(page, RECORDS[-1])
    assert page.eval_on_selector_all("#log .l", "els => els.map(e => e.dataset.level)") == [
        "info",
        "error",
        "error",
        "error",
        "debug",
        "warning",
    ]
    info, error, debug, warning = (
        colour(page, f"#log .l[data-level={name}]") for name in ("info", "error", "debug", "warning")
    )
    assert len({info, error, debug, warning}) == 4, "each level looks different"


CONTRAST = """els => els.map(e => {
  const channel = c => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  const luminance = rgb => { const [r, g, b] = rgb.match(/\\d+/g).map(Number).map(channel);
                             return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const style = getComputedStyle(e);
  const [a, b] = [luminance(style.color), luminance(style.backgroundColor)].sort((x, y) => y - x);
  return [e.className, e.closest(".l").dataset.level, (a + 0.05) / (b + 0.05)];
})"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_on_each_ansi_background_is_readable_under_every_level(page, log_dir, scheme):
    """The demo logger's CRITICAL lines (bold on red) were a solid red bar: the level's red on red."""
    levels = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "TRACE")
    backgrounds = [f"4{n}" for n in range(8)] + [f"10{n}" for n in range(8)]
    lines = [
        f"2026-11-25 12:00:00,000 {level} app: \x1b[1;{code}mbackground {code}\x1b[0m under {level}"
        for level in levels
        for code in backgrounds
    ]
    append_lines(log_dir / "app.log", lines)
    page.emulate_media(color_scheme=scheme)
    open_viewer(page)
    wait_for_line(page, "2026-11-25 12:00:00,000 TRACE app: background 107 under TRACE")
    found = page.eval_on_selector_all("#log .l span[class*=a-bg]", CONTRAST)
    assert len(found) == len(lines)
    poor = [(classes, level, round(ratio, 2)) for classes, level, ratio in found if ratio < 4.5]
    assert poor == [], poor


def test_the_level_filter_applies_to_the_stream(page, log_dir):
    log = log_dir / "app.log"
    append_lines(log, RECORDS)
    open_viewer(page)
    page.select_option("#level", "warning")
    page.wait_for_url(f"**{PREFIX}/view/app.log?level=warning")
    page.wait_for_selector("#status[data-state=live]")
    wait_for_line(page, RECORDS[-1])
    assert shown(page) == RECORDS[1:4] + RECORDS[5:]
    append_lines(log, ["2026-11-25 12:00:04,000 INFO app: quiet", "2026-11-25 12:00:05,000 CRITICAL app: down"])
    wait_for_line(page, "2026-11-25 12:00:05,000 CRITICAL app: down")
    assert "2026-11-25 12:00:04,000 INFO app: quiet" not in shown(page)
    assert page.eval_on_selector("#level", "e => e.value") == "warning"


def test_going_to_a_time_opens_the_first_line_at_or_after_it(page, log_dir):
    start = datetime(2026, 11, 25, 12, 0, 0)
    records = [
        f"{(start + timedelta(seconds=i)).strftime('%Y-%m-%d %H:%M:%S')},000 INFO app: record {i}" for i in range(3000)
    ]
    append_lines(log_dir / "app.log", records)
    open_viewer(page)
    page.fill("#time", "2026-11-25T12:16:40")
    page.click("#goto button")
    page.wait_for_url("**at=2026-11-25T12%3A16%3A40")
    page.wait_for_selector('#log [aria-current="true"]')
    assert page.text_content('#log [aria-current="true"]') == records[1000]
    assert page.is_visible('#log [aria-current="true"]')
    assert records[999] in page.eval_on_selector_all("#log .l", LINES)


def test_json_and_logfmt_lines_are_styled_and_open_pretty_printed(page, log_dir):
    long_value = "x" * 200
    json_line = '{"time":"2026-11-25T12:00:00Z","level":"error","msg":"boom","detail":"' + long_value + '"}'
    logfmt_line = 'time=2026-11-25T12:00:01Z level=warn msg="slow \\"query\\"" ms=900'
    append_lines(log_dir / "app.log", [json_line, logfmt_line, "plain text stays plain"])
    open_viewer(page)
    wait_for_line(page, json_line)  # the text of a styled line is still the raw line
    wait_for_line(page, logfmt_line)
    assert page.eval_on_selector_all("#log .l:nth-child(1) .k", LINES) == ['"time"', '"level"', '"msg"', '"detail"']
    assert page.eval_on_selector_all("#log .l:nth-child(2) .k", LINES) == ["time", "level", "msg", "ms"]
    assert page.locator("#log .v.long").count() == 1, "the long value is folded"
    assert page.locator("#log .l:nth-child(3) span").count() == 0
    page.click("#log .l:nth-child(1) .k >> nth=2")
    assert page.is_visible("#detail")
    assert json.loads(page.text_content("#detail-text"))["detail"] == long_value
    page.click("#detail-close")
    page.click("#log .l:nth-child(2) .v >> nth=2")
    assert json.loads(page.text_content("#detail-text")) == {
        "time": "2026-11-25T12:00:01Z",
        "level": "warn",
        "msg": 'slow "query"',
        "ms": "900",
    }


def test_counts_and_marks_show_where_the_serious_lines_are(page, log_dir):
    records = [f"2026-11-25 12:00:{i % 60:02d},000 INFO app: record {i}" for i in range(100)]  # the backlog
    records[5] = "2026-11-25 12:00:05,000 ERROR app: early trouble"
    records[50] = "2026-11-25 12:00:50,000 WARNING app: halfway"
    records[95] = "2026-11-25 12:00:35,000 CRITICAL app: late trouble"
    append_lines(log_dir / "app.log", records)
    page.set_viewport_size({"width": 1000, "height": 600})
    open_viewer(page)
    wait_for_line(page, records[-1])
    page.wait_for_function("() => document.querySelectorAll('#minimap .mark').length === 3")
    assert page.text_content("#level-summary") == "1 critical · 1 error · 1 warning"
    tops = page.eval_on_selector_all("#minimap .mark", "els => els.map(e => parseFloat(e.style.top))")
    assert tops == sorted(tops) and tops[0] < 15 and 40 < tops[1] < 60 and tops[2] > 90
    page.click("#minimap .mark >> nth=0")
    page.wait_for_function(
        """() => {
            const line = [...document.querySelectorAll('#log .l')].find(e => e.textContent.includes('early trouble'));
            const log = document.getElementById('log').getBoundingClientRect(), box = line.getBoundingClientRect();
            return box.top >= log.top && box.bottom <= log.bottom;
        }"""
    )


def test_a_burst_structures_the_lines_in_view_and_those_scrolled_to_later(page, log_dir):
    """Lines a burst scrolls past unseen get their spans only once they are scrolled into view."""
    log = log_dir / "app.log"
    append_lines(log, ["start"])
    open_viewer(page)
    wait_for_line(page, "start")
    append_lines(log, [f"n={i} msg=hello" for i in range(90)])  # more than a screenful, less than a frame builds
    wait_for_line(page, "n=89 msg=hello")
    assert page.locator("#log .l:last-child .k").count() == 2  # on screen: styled at once
    assert page.locator("#log .l .k").count() < 2 * 90, "every line of the burst was built with spans"
    middle = page.locator("#log .l", has_text="n=10 msg=hello")
    assert middle.locator(".k").count() == 0  # scrolled past unseen
    middle.scroll_into_view_if_needed()
    page.wait_for_function(
        "text => [...document.querySelectorAll('#log .l')].find(l => l.textContent === text).querySelector('.k')",
        arg="n=10 msg=hello",
    )
    assert middle.locator(".k").count() == 2 and middle.text_content() == "n=10 msg=hello"
