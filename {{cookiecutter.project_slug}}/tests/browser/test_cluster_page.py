"""One URL for every node, in a real browser: the index on node A, a file of node C, its lines live, and on
when node C was away."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import AUTH, LINES, PREFIX, append_lines, read_back_to, shown, wait_for_line
from servers import nodes

pytestmark = pytest.mark.browser

MARKED = "() => document.querySelector('#log [aria-current=\"true\"]')?.textContent"


def test_a_file_of_node_c_opened_from_node_as_index_follows_live(browser, tmp_path: Path):
    with nodes(tmp_path) as (a, _b, c):
        log = c.log_dir / "web.log"
        append_lines(log, ["served by c", "a needle on c"])
        append_lines(a.log_dir / "web.log", ["served by a"])
        context = browser.new_context(
            base_url=f"http://{a.address[0]}:{a.port}", http_credentials={"username": AUTH[0], "password": AUTH[1]}
        )
        try:
            page = context.new_page()
            page.goto(f"{PREFIX}/")
            nodes_shown = page.eval_on_selector_all("tbody.node .node-name", LINES)
            assert nodes_shown == ["node-a", "node-b", "node-c"]
            page.click("tbody[data-node=node-c] a.view")
            page.wait_for_selector("#status[data-state=live]")
            assert page.url.endswith(f"{PREFIX}/view/@node-c/web.log")
            assert shown(page) == ["served by c", "a needle on c"]
            append_lines(log, ["live from c"])
            wait_for_line(page, "live from c")
            # A search runs on node C too, and its matches open node C's lines.
            page.fill("#query", "needle")
            page.press("#query", "Enter")
            page.wait_for_selector("#hits a.hit")
            assert page.get_attribute("#hits a.hit", "href").startswith(f"{PREFIX}/view/@node-c/web.log?at=")
            assert shown(page)[-1] == "live from c"
            # Node C goes away: the page says so, and when C is back it goes on where it was.
            c.stop()
            page.wait_for_selector("#status[data-state=reconnecting]", timeout=10_000)
            append_lines(log, ["written while c was down"])
            c.start()
            wait_for_line(page, "written while c was down", timeout=30_000)
            assert shown(page) == ["served by c", "a needle on c", "live from c", "written while c was down"]
            # "merge with" the other logs of its directory: node C's, matched on node C's list of files.
            append_lines(c.log_dir / "worker.log", ["2026-11-25 03:00:00,000 INFO worker of c"])
            page.click("#merge")
            page.wait_for_selector("#status[data-state=live]")
            wait_for_line(page, "2026-11-25 03:00:00,000 INFO worker of c")
            assert page.get_attribute("#log", "data-files") == "@node-c/web.log,@node-c/worker.log"
        finally:
            context.close()


def test_node_as_and_node_cs_files_ticked_on_the_index_merge_and_read_back_in_time_order(browser, tmp_path: Path):
    with nodes(tmp_path) as (a, _b, c):
        written = []
        for i in range(1200):  # more than the two backlogs: the rest is read back, node C's through node A
            log = (a.log_dir if i % 2 == 0 else c.log_dir) / "web.log"
            written.append(f"2026-11-25 03:{i // 60:02d}:{i % 60:02d},000 INFO served {i} by {log.parent.name}")
        for offset, log_dir in ((1, c.log_dir), (0, a.log_dir)):
            append_lines(log_dir / "web.log", written[offset::2])
        context = browser.new_context(
            base_url=f"http://{a.address[0]}:{a.port}", http_credentials={"username": AUTH[0], "password": AUTH[1]}
        )
        try:
            page = context.new_page()
            page.goto(f"{PREFIX}/")  # ticked on the index, one file of each node
            for name in ("@node-a/web.log", "@node-c/web.log"):
                page.check(f"#merge input[value='{name}']")
            page.click("#merge button[type=submit]")
            page.wait_for_selector("#status[data-state=live]")
            wait_for_line(page, written[-1])
            read_back_to(page, written[0])
            assert shown(page) == written
            tags = page.eval_on_selector_all("#log .l", "els => els.slice(0, 2).map(e => e.title)")
            assert tags == ["@node-a/web.log", "@node-c/web.log"]
            # The timeline counts both nodes' files; its first bar opens the page at the first line of both.
            page.wait_for_selector("#timeline[data-state=drawn]")
            rectangle = "c => { const r = c.getBoundingClientRect(); return [r.x, r.y]; }"
            corner = page.eval_on_selector("#timeline canvas", rectangle)
            page.mouse.click(corner[0] + 2, corner[1] + 20)
            page.wait_for_function(f"text => ({MARKED})() === text", arg=written[0])
            assert "at=" in page.url
        finally:
            context.close()
