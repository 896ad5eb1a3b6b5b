"""Many viewer tabs of one browser: one connection for all their streams (a browser opens 6 per host)."""

from __future__ import annotations

import time

import pytest
from helpers import PREFIX, append_lines, open_viewer, read_back_to, shown, wait_for_line, writing_numbered

pytestmark = pytest.mark.browser

TABS = 20


def test_twenty_tabs_follow_live_and_every_other_page_still_loads(context, server, log_dir):
    """Ten tabs on one file and ten on ten others; each gets its marker line; the index loads at once."""
    names = ["app.log"] * (TABS // 2) + [f"file{i}.log" for i in range(TABS // 2)]
    for name in set(names):
        append_lines(log_dir / name, [f"first of {name}"])
    tabs = []
    for name in names:
        tab = context.new_page()
        open_viewer(tab, name)
        tabs.append(tab)
    for name in set(names):
        append_lines(log_dir / name, [f"marker of {name}"])
    for tab, name in zip(tabs, names, strict=True):
        wait_for_line(tab, f"marker of {name}")
        assert shown(tab) == [f"first of {name}", f"marker of {name}"]
    index = context.new_page()
    started = time.monotonic()
    index.goto(f"{PREFIX}/", timeout=5000)
    assert time.monotonic() - started < 2, "the index waited for a connection"
    assert len(index.eval_on_selector_all("#files a.view", "els => els")) == TABS // 2 + 1
    for tab in tabs:  # and they are all still live
        assert tab.get_attribute("#status", "data-state") == "live"


def test_closing_a_tab_mid_stream_loses_and_repeats_nothing_in_the_others(context, log_dir):
    log = log_dir / "app.log"
    append_lines(log, ["line 0"])
    tabs = [context.new_page() for _ in range(3)]
    for tab in tabs:
        open_viewer(tab)
        wait_for_line(tab, "line 0")

    writer = writing_numbered(log, 1, 301, 0.005)
    wait_for_line(tabs[0], "line 100")
    tabs[0].close()  # the first tab, which started the shared connection
    writer.join()
    for tab in tabs[1:]:
        wait_for_line(tab, "line 300", timeout=10000)
        read_back_to(tab, "line 0")  # a tab in the background builds only its newest lines, when it can
        assert shown(tab) == [f"line {i}" for i in range(301)]


def test_a_tab_whose_file_is_gone_when_another_tab_joins_waits_for_it_while_the_others_go_on(context, log_dir):
    """The shared connection is made again for the new tab: the gone file's stream is a 404, retried alone."""
    append_lines(log_dir / "later.log", ["before"])
    waiting = context.new_page()
    open_viewer(waiting, "later.log")
    (log_dir / "later.log").unlink()
    waiting.wait_for_selector("#status[data-state=missing]")
    append_lines(log_dir / "app.log", ["here"])
    joining = context.new_page()
    open_viewer(joining)
    wait_for_line(joining, "here")
    append_lines(log_dir / "app.log", ["still here"])
    wait_for_line(joining, "still here")
    assert waiting.get_attribute("#status", "data-state") == "missing"
    append_lines(log_dir / "later.log", ["it came"])
    wait_for_line(waiting, "it came", timeout=10000)
    assert shown(joining) == ["here", "still here"]


def test_without_shared_worker_a_tab_opens_its_own_stream(context, log_dir):
    """Browsers without SharedWorker (Chrome on Android): htmx's SSE extension connects the page itself."""
    context.add_init_script("delete window.SharedWorker")
    append_lines(log_dir / "app.log", ["before"])
    tab = context.new_page()
    open_viewer(tab)
    assert tab.get_attribute("#log", "hx-sse:connect").endswith("/stream/app.log")
    append_lines(log_dir / "app.log", ["after"])
    wait_for_line(tab, "after")
    assert shown(tab) == ["before", "after"]
