"""Search in a real browser: matches as they come, by file, highlighted; open in context; stop; errors."""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import pytest
from helpers import HARD_PATTERN, LINES, PREFIX, append_lines, big_family, open_viewer, scans_of

pytestmark = pytest.mark.browser


def family(log_dir: Path) -> None:
    """app.log, app.log.1 and app.log.2.gz, each with two needles among other lines; the log newest."""
    log = log_dir / "app.log"
    append_lines(log.with_name("app.log.1"), ["old 0", "needle in the rotated file", "old 2", "NEEDLE shouting"])
    with gzip.open(log.with_name("app.log.2.gz"), "wt") as fh:
        fh.write("older 0\nneedle in the compressed file\nolder needle again\n")
    append_lines(log, [f"line {i}" for i in range(300)] + ["a needle here", "line 301", "another needle"])
    now = time.time()
    for age, name in enumerate(["app.log", "app.log.1", "app.log.2.gz"]):
        os.utime(log.with_name(name), (now - age * 60, now - age * 60))


def search_for(page, text: str, regex: bool = False) -> None:
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "query"
    if regex:
        page.check("#search [name=regex]")
    page.fill("#query", text)
    page.press("#query", "Enter")
    page.wait_for_function("() => !document.getElementById('results').hidden")


def wait_done(page) -> None:
    page.wait_for_function("() => /searched$/.test(document.getElementById('search-count').textContent)")


def test_matches_come_by_file_newest_first_counted_and_highlighted(page, log_dir):
    family(log_dir)
    open_viewer(page)
    search_for(page, "needle")
    wait_done(page)
    assert page.eval_on_selector_all("#hits .file", LINES) == ["app.log", "app.log.1", "app.log.2.gz"]
    assert page.eval_on_selector_all("#hits .l", LINES) == [
        "a needle here",
        "another needle",
        "needle in the rotated file",
        "NEEDLE shouting",
        "needle in the compressed file",
        "older needle again",
    ]
    assert {text.lower() for text in page.eval_on_selector_all("#hits mark", LINES)} == {"needle"}
    assert page.text_content("#search-count").startswith("6 matches, ")
    assert page.evaluate("(p => p.value === p.max)(document.getElementById('search-progress'))")
    assert page.is_hidden("#search-stop")
    # Only the lines in files that can be opened at a line are links.
    assert (
        page.eval_on_selector_all("#hits a.hit", "els => els.map(e => e.dataset.file)")
        == ["app.log"] * 2 + ["app.log.1"] * 2
    )
    page.keyboard.press("Escape")  # leaves the search box
    page.keyboard.press("Escape")  # closes the results
    assert page.is_hidden("#results")


def test_case_and_regex_toggles_reach_the_server(page, log_dir):
    family(log_dir)
    open_viewer(page)
    page.check("#search [name=case]")
    search_for(page, r"^NEEDLE \w+$", regex=True)
    wait_done(page)
    assert page.eval_on_selector_all("#hits .l", LINES) == ["NEEDLE shouting"]
    assert page.eval_on_selector_all("#hits mark", LINES) == ["NEEDLE shouting"]


def test_a_match_in_this_file_opens_in_place_and_a_sibling_match_opens_its_page(page, log_dir):
    family(log_dir)
    open_viewer(page)
    search_for(page, "needle")
    wait_done(page)
    page.click("#hits a.hit >> text=a needle here")
    page.wait_for_function("() => document.querySelector('#log [aria-current=\"true\"]')")
    assert page.text_content('#log [aria-current="true"]') == "a needle here"
    assert page.is_visible('#log [aria-current="true"]')
    assert "/view/app.log?at=" in page.url
    assert page.is_visible("#results"), "the results stay open to pick another match"
    page.click("#hits a.hit >> text=NEEDLE shouting")
    page.wait_for_url(f"**{PREFIX}/view/app.log.1?at=*")
    page.wait_for_function("() => document.querySelector('#log [aria-current=\"true\"]')")
    assert page.text_content('#log [aria-current="true"]') == "NEEDLE shouting"


def test_a_pattern_that_does_not_compile_is_explained(page, log_dir):
    family(log_dir)
    open_viewer(page)
    search_for(page, "(unclosed", regex=True)
    page.wait_for_selector("#search-notes .marker.error")
    assert "does not compile" in page.text_content("#search-notes")
    assert page.locator("#hits .l").count() == 0


def test_stop_ends_the_scan_on_the_server(page, server, log_dir):
    big_family(log_dir / "app.log", 40)
    open_viewer(page)
    earlier = scans_of(server.worker_pids())  # an earlier test's search, ending as its page went away
    search_for(page, HARD_PATTERN, regex=True)
    page.wait_for_function("() => document.getElementById('search-progress').value > 0", timeout=10_000)
    deadline = time.monotonic() + 2.0  # between two files, the next ripgrep may be a moment away
    while not (running := {pid: cmd for pid, cmd in scans_of(server.worker_pids()).items() if pid not in earlier}):
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)
    state = page.text_content("#search-count"), page.text_content("#search-notes"), earlier
    assert page.is_visible("#search-stop"), f"the search ended already: {state}"
    assert len(running) == 1, (running, state)
    page.click("#search-stop")
    assert page.text_content("#search-count").endswith("(stopped)")
    assert page.is_hidden("#search-stop")
    deadline = time.monotonic() + 1.0
    while set(running) & set(scans_of(server.worker_pids())) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not set(running) & set(scans_of(server.worker_pids())), "ripgrep still scanning a second after the stop"
