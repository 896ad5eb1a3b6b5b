"""The viewer in a real browser: live lines, safety, colours, filter, pause, cap, reconnects."""

from __future__ import annotations

import os
import random
import re
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import LINES, PREFIX, append_lines, open_viewer, shown, wait_for_line, writing_numbered

from {{ cookiecutter.project_slug }}.demo_logger import make_record

pytestmark = pytest.mark.browser


@pytest.mark.answers
def test_appended_lines_appear_live_and_in_order(page, log_dir):
    log = log_dir / "app.log"
    append_lines(log, ["before"])
    open_viewer(page)
    wait_for_line(page, "before")
    append_lines(log, [f"live {i}" for i in range(50)])
    wait_for_line(page, "live 49", timeout=1000)
    assert shown(page) == ["before"] + [f"live {i}" for i in range(50)]


def test_demo_stream_shows_sentences(page):
    page.goto(f"{PREFIX}/view/")
    page.wait_for_function("() => document.querySelectorAll('#log .l').length >= 2", timeout=5000)
    assert all(re.fullmatch(r"#\d+ .+\.", line) for line in shown(page))


HOSTILE = [
    '<img src=x onerror="window.pwned = 1">',
    "<script>window.pwned = 2</script>",
    '"><svg onload="window.pwned = 3">',
    '<iframe srcdoc="<script>parent.pwned = 4</script>"></iframe>',
    '\x1b[31m<b onmouseover="window.pwned = 5">bold?</b>\x1b[0m',
]


def test_hostile_lines_are_text_and_run_nothing(page, log_dir):
    log = log_dir / "app.log"
    append_lines(log, ["start"])
    open_viewer(page)
    append_lines(log, HOSTILE)
    wait_for_line(page, HOSTILE[-1].replace("\x1b[31m", "").replace("\x1b[0m", ""))
    page.wait_for_timeout(300)  # time for any handler that would run
    expected = ["start"] + [line.replace("\x1b[31m", "").replace("\x1b[0m", "") for line in HOSTILE]
    assert shown(page) == expected
    assert page.evaluate("window.pwned") is None
    assert page.locator("#log img, #log script, #log svg, #log iframe, #log b").count() == 0


def test_ansi_colours_render(page, log_dir):
    log = log_dir / "app.log"
    append_lines(
        log, ["\x1b[31mred alert\x1b[0m plain", "\x1b[38;5;21mblue 256\x1b[0m", "\x1b[1;4mbold underline\x1b[0m"]
    )
    open_viewer(page)
    wait_for_line(page, "bold underline")
    red = page.locator("#log .l span", has_text="red alert").evaluate("e => getComputedStyle(e).color")
    r, g, b = map(int, re.findall(r"\d+", red)[:3])
    assert r > g + 80 and r > b + 80, red
    blue = page.locator("#log .l span", has_text="blue 256").evaluate("e => getComputedStyle(e).color")
    assert blue == "rgb(0, 0, 255)"
    styled = page.locator("#log .l span", has_text="bold underline")
    assert int(styled.evaluate("e => getComputedStyle(e).fontWeight")) >= 600
    assert "underline" in styled.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert shown(page)[0] == "red alert plain"


def visible(page) -> list[str]:
    return page.eval_on_selector_all("#log .l:not([hidden])", LINES)


def test_filter_hides_and_highlights_old_and_new_lines(page, log_dir):
    log = log_dir / "app.log"
    append_lines(log, ["alpha one", "beta two", "Alpha three"])
    open_viewer(page)
    wait_for_line(page, "Alpha three")
    page.fill("#filter", "alpha")
    assert visible(page) == ["alpha one", "Alpha three"]
    assert page.eval_on_selector_all("#log mark", LINES) == ["alpha", "Alpha"]
    append_lines(log, ["alpha four", "gamma five"])
    wait_for_line(page, "gamma five")
    assert visible(page) == ["alpha one", "Alpha three", "alpha four"]
    page.check("#case")
    assert visible(page) == ["alpha one", "alpha four"]
    page.check("#regex")
    page.fill("#filter", r"^(beta|gamma) \w+$")
    assert visible(page) == ["beta two", "gamma five"]
    page.fill("#filter", "")
    assert len(visible(page)) == 5 and page.locator("#log mark").count() == 0


def test_pause_holds_lines_and_resume_shows_every_one(page, log_dir):
    log = log_dir / "app.log"
    append_lines(log, ["first"])
    open_viewer(page)
    wait_for_line(page, "first")
    page.click("#pause")
    append_lines(log, [f"held {i}" for i in range(30)])
    page.wait_for_function("() => document.getElementById('pause').textContent === 'Resume (30 new)'", timeout=5000)
    assert shown(page) == ["first"]
    page.click("#pause")
    assert shown(page) == ["first"] + [f"held {i}" for i in range(30)]


def test_keyboard_pause_filter_and_jump_to_live(page, log_dir):
    log = log_dir / "app.log"
    append_lines(log, [f"line {i}" for i in range(300)])
    open_viewer(page)
    wait_for_line(page, "line 299")
    page.locator("#log").evaluate("e => { e.scrollTop = 0; e.dispatchEvent(new Event('scroll')); }")
    append_lines(log, ["newer"])
    wait_for_line(page, "newer")
    assert page.is_visible("#live")  # scrolled up: no autoscroll, a button instead
    page.keyboard.press("End")
    assert page.is_hidden("#live")
    assert page.locator("#log").evaluate("e => e.scrollTop + e.clientHeight >= e.scrollHeight - 4")
    page.keyboard.press(" ")
    assert page.get_attribute("#pause", "aria-pressed") == "true"
    page.keyboard.press(" ")
    assert page.get_attribute("#pause", "aria-pressed") == "false"
    page.keyboard.press("f")
    assert page.evaluate("document.activeElement.id") == "filter"
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "query"


def test_page_keeps_no_more_than_the_cap(page, log_dir):
    log = log_dir / "app.log"
    append_lines(log, ["start"])
    open_viewer(page)
    for chunk in range(4):
        append_lines(log, [f"bulk {i}" for i in range(chunk * 5000, (chunk + 1) * 5000)])
    wait_for_line(page, "bulk 19999", timeout=15000)
    cap = int(page.get_attribute("#log", "data-line-cap"))
    assert cap == 5000
    assert page.locator("#log > *").count() <= cap
    window = shown(page)  # the newest lines, one run (while following, fewer than the cap: see log-window.js)
    assert 100 <= len(window) <= cap and window == [f"bulk {i}" for i in range(20000 - len(window), 20000)]


def next_frame(page) -> None:
    """Under a paused clock: give lines time to arrive, then run one animation frame (the fake clock's
    frames are 16 ms apart)."""
    page.wait_for_timeout(250)  # the driver's time: the page's clock stays paused
    page.clock.run_for(16)


def frame_until_shown(page, text: str) -> None:
    """Under a paused clock: run animation frames one by one until ``text`` shows."""
    for _ in range(20):
        next_frame(page)
        if text in shown(page):
            return
    raise AssertionError(f"{text!r} never shown")


def test_a_fast_log_builds_only_the_newest_lines_even_after_a_quieter_frame(page, log_dir):
    """While lines come fast, every other frame builds, and a frame that gets fewer lines does not let the
    next one build a whole burst; once the log has been quiet for a while a burst is shown whole again, if a
    frame can build it."""
    log = log_dir / "app.log"
    append_lines(log, ["start"])
    page.clock.install()
    open_viewer(page)
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)  # frames run only when the test says
    frame_until_shown(page, "start")
    append_lines(log, [f"a {i}" for i in range(150)])  # more than two screenfuls: the log is fast
    frame_until_shown(page, "a 149")
    append_lines(log, [f"b {i}" for i in range(20)])  # a quieter frame
    next_frame(page)
    assert "b 19" not in shown(page), "the frame right after one that built built too, while the log is fast"
    frame_until_shown(page, "b 19")
    append_lines(log, [f"c {i}" for i in range(200)])
    frame_until_shown(page, "c 199")
    window = shown(page)
    assert len(window) < 200 and window == [f"c {i}" for i in range(200 - len(window), 200)]
    page.clock.run_for(1000)  # quiet: the next burst is shown whole, after the lines already there
    append_lines(log, [f"d {i}" for i in range(200)])
    frame_until_shown(page, "d 199")
    assert shown(page) == window + [f"d {i}" for i in range(200)]
    page.clock.run_for(1000)  # quiet again, but a burst bigger than a frame builds: its newest lines only
    append_lines(log, [f"e {i}" for i in range(300)])
    frame_until_shown(page, "e 299")
    window = shown(page)
    assert len(window) < 200 and window == [f"e {i}" for i in range(300 - len(window), 300)]


def test_killed_worker_reconnecting_then_live_no_line_lost_or_doubled(page, server, log_dir):
    log = log_dir / "app.log"
    append_lines(log, ["line 0"])
    open_viewer(page)
    wait_for_line(page, "line 0")
    page.evaluate("""() => {
        window.states = [];
        new MutationObserver(() => window.states.push(document.getElementById('status').dataset.state))
            .observe(document.getElementById('status'), {attributes: true});
    }""")

    writer = writing_numbered(log, 1, 301, 0.01)
    wait_for_line(page, "line 20")
    holders = server.pids_holding(log)
    assert len(holders) == 1
    os.kill(holders[0], signal.SIGKILL)
    writer.join()
    wait_for_line(page, "line 300", timeout=15000)
    states = page.evaluate("window.states")
    assert "reconnecting" in states and states[-1] == "live", states
    assert shown(page) == [f"line {i}" for i in range(301)]


def test_rotation_and_missing_file_are_marked(page, log_dir):
    log = log_dir / "app.log"
    append_lines(log, ["old file"])
    open_viewer(page)
    wait_for_line(page, "old file")
    log.unlink()
    page.wait_for_selector("#status[data-state=missing]")
    append_lines(log, ["new file"])
    wait_for_line(page, "new file")
    markers = page.eval_on_selector_all("#log .marker", LINES)
    assert markers[0].startswith("file missing") and markers[1].startswith("file rotated")
    assert page.get_attribute("#status", "data-state") == "live"


@pytest.mark.answers
def test_index_lists_files_and_links_open_viewers(page, log_dir):
    append_lines(log_dir / "main.log", ["main line"])
    append_lines(log_dir / "app" / "api.log", ["api line"])
    page.goto(f"{PREFIX}/")
    names = page.eval_on_selector_all("#files a.view", LINES)
    assert sorted(names) == ["app/api.log", "main.log"]
    page.click("text=app/api.log")
    wait_for_line(page, "api line")
    assert page.url.endswith(f"{PREFIX}/view/app/api.log")
    assert page.get_attribute("#download", "href") == f"{PREFIX}/download/app/api.log"


def test_screenshot_of_the_demo_logger_output(page, log_dir, tmp_path):
    """The READMEs' picture: the demo logger's records with their levels, a search with its results, the
    line a permalink opened, the permalink gutter under the pointer, and the marks beside the log.
    ``VIEWER_SCREENSHOT_PATH`` says where to save it (``scripts/screenshot.py`` of the template sets it)."""
    rng = random.Random(7)
    lines = []
    for i in range(40):
        lines += make_record(rng, "app", datetime(2026, 11, 23, 12, 0, i, rng.randint(0, 999_999), tzinfo=UTC))
    append_lines(log_dir / "app.log", lines)
    page.set_viewport_size({"width": 1280, "height": 720})
    open_viewer(page)
    last = re.sub(r"\x1b\[[0-9;]*m", "", lines[-1])
    wait_for_line(page, last)
    page.fill("#query", "upstream")
    page.press("#query", "Enter")
    page.wait_for_function("() => document.getElementById('search-count').textContent.includes('searched')")
    page.locator("#hits a.hit").nth(1).click()  # opens its line in this page, marked
    page.wait_for_selector("#log .l[aria-current=true]")
    page.wait_for_selector("#minimap .mark")
    marked = page.locator("#log .l[aria-current=true]")
    marked.hover(position={"x": 5, "y": 5})  # the gutter's "#"
    assert page.locator("#hits a.hit").count() >= 2 and page.locator("#log .l[data-level=error]").count() > 0
    target = Path(os.environ.get("VIEWER_SCREENSHOT_PATH", tmp_path / "viewer.png"))
    page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000
