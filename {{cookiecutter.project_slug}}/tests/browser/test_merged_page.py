"""Several files as one page in a real browser: live in time order, read back, a line's permalink, the index."""

from __future__ import annotations

import pytest
from helpers import PREFIX, append_lines, read_back_to, shown, wait_for_line

pytestmark = pytest.mark.browser

NAMES = ("nginx.log", "app.log", "worker.log")
MARKED = "() => document.querySelector('#log [aria-current=\"true\"]')?.textContent"


def record(i: int) -> str:
    second, level = i // 10, "ERROR" if i % 7 == 0 else "INFO"
    return f"2026-11-25 03:{second // 60:02d}:{second % 60:02d},{i % 10 * 100:03d} {level} {NAMES[i % 3]}: request {i}"


def write(log_dir, first: int, last: int) -> list[str]:
    """Records ``first`` to ``last - 1``, each to one file in turn, the last file's written first."""
    for offset in (2, 1, 0):
        append_lines(log_dir / NAMES[offset], [record(i) for i in range(first, last) if i % 3 == offset])
    return [record(i) for i in range(first, last)]


def open_merged(page, query: str = "") -> None:
    page.goto(f"{PREFIX}/view/?files={','.join(NAMES)}{query}")
    page.wait_for_selector("#status[data-state=live]")


def test_the_merged_page_shows_every_file_live_in_time_order_each_line_tagged(page, log_dir):
    written = write(log_dir, 0, 30)
    open_merged(page)
    wait_for_line(page, written[-1])
    written += write(log_dir, 30, 90)
    wait_for_line(page, written[-1])
    assert shown(page) == written
    tags = page.eval_on_selector_all("#log .l", "els => els.map(e => [e.dataset.tag, e.title])")
    assert tags[:3] == [["nginx", "nginx.log"], ["app", "app.log"], ["worker", "worker.log"]]
    colours = page.eval_on_selector_all(
        "#log .l", "els => els.slice(0, 3).map(e => getComputedStyle(e, '::before').color)"
    )
    assert len(set(colours)) == 3, colours


def test_a_file_without_stamps_is_merged_as_it_arrives_and_the_page_says_so(page, log_dir):
    written = write(log_dir, 0, 30)
    (log_dir / "plain.log").write_text("")
    page.goto(f"{PREFIX}/view/?files={','.join(NAMES)},plain.log")
    page.wait_for_selector("#status[data-state=live]")
    wait_for_line(page, written[-1])
    append_lines(log_dir / "plain.log", ["a line without a time"])
    wait_for_line(page, "a line without a time")
    said = page.text_content("#log .marker:not(.edge)")
    assert said == "a file's lines have no time stamps: they are merged as they arrive"
    # Read back (the page reads on up), a line without a time has none to be placed by: it comes first.
    assert [line for line in shown(page) if line != "a line without a time"] == written


def test_scrolling_up_reads_every_file_back_in_time_order(page, log_dir):
    written = write(log_dir, 0, 1200)  # more than the three backlogs: the rest is read back
    open_merged(page)
    wait_for_line(page, written[-1])
    read_back_to(page, written[0])
    assert shown(page) == written
    assert page.text_content("#log .marker.edge") == "start of every file"


def test_a_lines_permalink_opens_the_merged_page_at_it(page, log_dir):
    written = write(log_dir, 0, 1200)
    open_merged(page)
    wait_for_line(page, written[-1])
    line = page.locator("#log .l", has_text=written[-40]).first
    line.scroll_into_view_if_needed()
    box = line.bounding_box()
    page.mouse.click(box["x"] + 4, box["y"] + box["height"] / 2)
    page.wait_for_function(f"text => ({MARKED})() === text", arg=written[-40])
    assert "files=" in page.url and "at=" in page.url
    target = page.url
    page.goto(target)
    page.wait_for_function(f"text => ({MARKED})() === text", arg=written[-40])
    before = shown(page)
    index = before.index(written[-40])
    assert before[index - 5 : index + 5] == written[-45:-35]


def test_the_index_opens_the_ticked_files_merged(page, log_dir):
    written = write(log_dir, 0, 12)
    page.goto(f"{PREFIX}/")
    for name in ("nginx.log", "worker.log"):
        page.check(f"#merge input[value='{name}']")
    page.click("#merge button[type=submit]")
    page.wait_for_selector("#status[data-state=live]")
    wait_for_line(page, written[-1])
    assert shown(page) == [line for line in written if "app.log" not in line]


def test_a_files_page_links_to_it_merged_with_the_other_logs_of_its_directory(page, log_dir):
    written = write(log_dir, 0, 12)
    page.goto(f"{PREFIX}/view/app.log")
    page.wait_for_selector("#status[data-state=live]")
    assert page.text_content("#merge") == "merge with *.log"
    page.click("#merge")
    page.wait_for_selector("#status[data-state=live]")
    wait_for_line(page, written[-1])
    assert shown(page) == written


def test_the_level_menu_the_time_field_and_the_search_work_on_the_merged_page(page, log_dir):
    written = write(log_dir, 0, 600)
    open_merged(page)
    page.select_option("#level", "error")
    page.wait_for_url("**level=error**")
    page.wait_for_selector("#status[data-state=live]")
    errors = [line for line in written if " ERROR " in line]
    wait_for_line(page, errors[-1])
    assert shown(page) == errors
    page.fill("#time", "2026-11-25T03:00:30")
    page.click("#goto button[type=submit]")
    page.wait_for_function(f"text => ({MARKED})() === text", arg=record(301))  # the first error at or after it
    page.fill("#query", "request 1")
    page.press("#query", "Enter")
    page.wait_for_function("() => /searched$/.test(document.getElementById('search-count').textContent)")
    hits = page.eval_on_selector_all("#hits .l", "els => els.map(e => e.textContent)")
    assert hits == [line for line in errors if "request 1" in line]  # in time order, at the page's level


def test_the_merged_pages_timeline_counts_every_file_and_a_click_opens_its_line(page, log_dir):
    written = write(log_dir, 0, 1200)
    open_merged(page)
    page.wait_for_selector("#timeline[data-state=drawn]")
    box = page.eval_on_selector("#timeline canvas", "c => { const r = c.getBoundingClientRect(); return [r.x, r.y]; }")
    page.mouse.click(box[0] + 2, box[1] + 20)  # the first bar: the first line of all three files
    page.wait_for_function(f"text => ({MARKED})() === text", arg=written[0])
    assert "files=" in page.url and "at=" in page.url


def test_eight_merged_tabs_share_the_browsers_one_connection(context, log_dir):
    """Each on its own connection, six would hold all a browser opens to a host: the seventh, and the index, would
    wait. On the shared one, all follow live and the index loads at once."""
    written = write(log_dir, 0, 30)
    tabs = []
    for _ in range(8):
        tab = context.new_page()
        open_merged(tab)
        tabs.append(tab)
    written += write(log_dir, 30, 33)
    for tab in tabs:
        wait_for_line(tab, written[-1])
        assert shown(tab) == written
    index = context.new_page()
    index.goto(f"{PREFIX}/", timeout=5000)
    assert index.is_visible("#merge button[type=submit]")
