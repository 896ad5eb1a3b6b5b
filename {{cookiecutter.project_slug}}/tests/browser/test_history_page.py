"""History in a real browser: scroll-back to the first line, jumps, permalinks through rotation."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import LINES, PREFIX, append_lines, open_viewer, scroll_up_once, shown, wait_for_line

from {{ cookiecutter.project_slug }}.config import Settings

pytestmark = pytest.mark.browser

TOTAL = 12_000
CAP = Settings().line_cap  # the viewer's declared line cap


def numbered_log(log_dir: Path, total: int = TOTAL) -> Path:
    log = log_dir / "app.log"
    append_lines(log, [f"line {i}" for i in range(total)])
    return log


def numbers(page) -> list[int]:
    """The line numbers the window shows; it must be one run of consecutive lines."""
    found = [int(text.split()[1]) for text in shown(page)]
    assert found == list(range(found[0], found[0] + len(found))), "the window has a gap or a repeat"
    return found


def scroll_down_once(page) -> None:
    page.evaluate(
        """() => {
            const log = document.getElementById('log');
            const lines = log.querySelectorAll('.l');
            window.lastBefore = lines[lines.length - 1].textContent;
            log.scrollTop = log.scrollHeight;
        }"""
    )
    page.wait_for_function(
        """() => {
            const lines = document.querySelectorAll('#log .l');
            return document.getElementById('live').hidden || lines[lines.length - 1].textContent !== window.lastBefore;
        }""",
        timeout=5000,
    )


def marked(page) -> str:
    return page.text_content('#log [aria-current="true"]')


def test_scrolling_up_reads_back_to_the_first_line_with_a_bounded_page(page, log_dir):
    numbered_log(log_dir)
    open_viewer(page)
    wait_for_line(page, f"line {TOTAL - 1}")
    for _ in range(TOTAL // 100):
        if page.query_selector("#log .marker.edge"):
            break
        scroll_up_once(page)
        assert page.locator("#log > *").count() <= CAP
        numbers(page)
    assert page.text_content("#log .marker.edge") == "start of app.log"
    window = numbers(page)
    assert window[0] == 0 and len(window) == CAP - 1  # the start marker is one of the cap's elements
    assert page.is_visible("#live"), "the window left the live end: it offers the way back"


def test_home_jumps_to_the_first_line_and_end_back_to_live(page, log_dir):
    log = numbered_log(log_dir)
    open_viewer(page)
    wait_for_line(page, f"line {TOTAL - 1}")
    page.keyboard.press("Home")
    page.wait_for_selector("#log .marker.edge")
    assert numbers(page)[:3] == [0, 1, 2]
    page.keyboard.press("End")
    page.wait_for_function("() => document.getElementById('live').hidden")
    assert numbers(page)[-1] == TOTAL - 1
    append_lines(log, [f"line {TOTAL}"])
    wait_for_line(page, f"line {TOTAL}")
    assert numbers(page)[-1] == TOTAL


def test_lines_arriving_while_reading_old_ones_are_counted_and_none_lost(page, log_dir):
    log = numbered_log(log_dir)
    open_viewer(page)
    wait_for_line(page, f"line {TOTAL - 1}")
    page.click("#start")
    page.wait_for_selector("#log .marker.edge")
    append_lines(log, [f"line {i}" for i in range(TOTAL, TOTAL + 30)])
    page.wait_for_function("() => document.getElementById('live').textContent.includes('30 new')")
    assert numbers(page)[0] == 0  # the window stayed where the user reads
    page.click("#live")
    page.wait_for_function("() => document.getElementById('live').hidden")
    assert numbers(page)[-31:] == list(range(TOTAL - 1, TOTAL + 30))
    scroll_up_once(page)
    numbers(page)  # read back across the point where it rejoined: one run, no repeat


def test_scrolling_down_from_the_start_rejoins_the_live_stream(page, log_dir):
    log = numbered_log(log_dir, 1500)
    open_viewer(page)
    wait_for_line(page, "line 1499")
    page.keyboard.press("g")
    page.wait_for_selector("#log .marker.edge")
    for _ in range(20):
        if page.is_hidden("#live"):
            break
        scroll_down_once(page)
    assert page.is_hidden("#live")
    append_lines(log, ["line 1500"])
    wait_for_line(page, "line 1500")
    assert numbers(page) == list(range(1501))


def test_a_permalink_opens_its_line_marked_in_context(page, log_dir):
    log = numbered_log(log_dir)
    offset = log.read_bytes().index(b"line 5000\n")
    page.goto(f"{PREFIX}/view/app.log?at={offset}")
    page.wait_for_selector('#log [aria-current="true"]')
    assert marked(page) == "line 5000"
    assert page.locator('#log [aria-current="true"]').is_visible()
    window = numbers(page)
    assert window[0] < 4990 and window[-1] > 5010
    box = page.locator("#log").bounding_box()
    target = page.locator("#log .l", has_text="line 5003").first.bounding_box()
    assert box["y"] < target["y"] < box["y"] + box["height"]


def test_the_gutter_copies_a_permalink_that_opens_the_line(page, log_dir):
    numbered_log(log_dir)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_viewer(page)
    wait_for_line(page, f"line {TOTAL - 1}")
    line = page.locator("#log .l", has_text=f"line {TOTAL - 50}").first
    line.scroll_into_view_if_needed()
    box = line.bounding_box()
    page.mouse.click(box["x"] + 4, box["y"] + box["height"] / 2)
    assert marked(page) == f"line {TOTAL - 50}"
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == page.url and "?at=" in link
    page.goto(link)
    page.wait_for_selector('#log [aria-current="true"]')
    assert marked(page) == f"line {TOTAL - 50}"


def test_a_permalink_outlives_rotation_and_says_when_its_line_is_gone(page, log_dir):
    log = numbered_log(log_dir, 500)
    offset = log.read_bytes().index(b"line 100\n")
    page.goto(f"{PREFIX}/view/app.log?at={offset}")
    page.wait_for_selector('#log [aria-current="true"]')
    link = page.url.split("?")[0] + "?at=" + page.get_attribute('#log [aria-current="true"]', "data-at")
    log.rename(log_dir / "app.log.1")
    append_lines(log, [f"new {i}" for i in range(1000)])
    page.goto(link)
    page.wait_for_selector('#log [aria-current="true"]')
    assert marked(page) == "line 100"
    (log_dir / "app.log.1").unlink()
    page.goto(link)
    page.wait_for_selector("#log .marker.error")
    assert "gone" in page.text_content("#log .marker.error")
    wait_for_line(page, "new 999")
    append_lines(log, ["new 1000"])
    wait_for_line(page, "new 1000")
    assert page.eval_on_selector_all("#log .l", LINES)[-2:] == ["new 999", "new 1000"]


def test_a_burst_beyond_the_cap_shows_its_end_and_reads_back_what_was_never_painted(page, log_dir):
    """Lines the cap would drop at once are not built; scrolling up still reaches them, with no gap."""
    log = log_dir / "app.log"
    append_lines(log, ["line 0"])
    open_viewer(page)
    wait_for_line(page, "line 0")
    append_lines(log, [f"line {i}" for i in range(1, TOTAL)])
    wait_for_line(page, f"line {TOTAL - 1}", timeout=15000)
    window = numbers(page)
    assert window[-1] == TOTAL - 1 and len(window) <= CAP
    scroll_up_once(page)
    earlier = numbers(page)
    assert earlier[0] < window[0] and page.locator("#log > *").count() <= CAP
