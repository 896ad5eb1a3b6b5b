"""The timeline above the log in a real browser: bars by level, a click to a line, a drag to narrow, live growth."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from helpers import append_lines, open_viewer

pytestmark = pytest.mark.browser

# Each bar's painted height in canvas pixels (a column scanned up from the plot's bottom), and the plot's height.
HEIGHTS = """element => {
  const canvas = element.querySelector("canvas");
  const n = Number(element.dataset.buckets);
  const plot = canvas.height - Math.round(16 * (devicePixelRatio || 1));
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const painted = (x, y) => pixels[(y * canvas.width + x) * 4 + 3] > 0;
  const heights = [];
  for (let i = 0; i < n; i++) {
    const x = Math.floor(((i + 0.5) * canvas.width) / n);
    let y = plot - 1;
    while (y >= 0 && painted(x, y)) y--;
    heights.push(plot - 1 - y);
  }
  return { heights, plot };
}"""
BOX = "c => { const r = c.getBoundingClientRect(); return [r.x, r.y, r.width]; }"
# The colour a canvas paints for the page's --level-error.
ERROR_COLOUR = """() => {
  const c = document.createElement("canvas").getContext("2d");
  c.fillStyle = getComputedStyle(document.documentElement).getPropertyValue("--level-error").trim();
  c.fillRect(0, 0, 1, 1);
  return Array.from(c.getImageData(0, 0, 1, 1).data);
}"""
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def stamped(moment: datetime, level: str, text: str) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S},000 {level:<8} app: {text}"


def chart_of(page) -> dict:
    """The timeline the page drew, asked of the server again as the page asked for it."""
    page.wait_for_selector("#timeline[data-state=drawn]")
    count = page.eval_on_selector("#timeline", "e => e.dataset.buckets")
    url = page.eval_on_selector("#timeline", "e => e.dataset.url")
    return json.loads(page.evaluate("url => fetch(url).then(r => r.text())", f"{url}?buckets={count}"))


def test_bars_have_the_heights_of_the_counts_stacked_in_the_level_colours(page, log_dir):
    start = datetime(2026, 11, 25, 12, 0, 0)
    lines = []
    for second in range(60):
        for n in range(second % 7 + 1):
            lines.append(stamped(start + timedelta(seconds=second), LEVELS[(second + n) % 4], f"s{second} n{n}"))
    lines.append(stamped(start + timedelta(seconds=60), "ERROR", "only errors here"))
    append_lines(log_dir / "app.log", lines)
    open_viewer(page)
    chart = chart_of(page)
    drawn = page.eval_on_selector("#timeline", HEIGHTS)
    totals = [sum(bucket["counts"].values()) for bucket in chart["buckets"]]
    assert sum(totals) == len(lines)
    assert drawn["heights"] == [round(total / max(totals) * drawn["plot"]) for total in totals]
    last = max(i for i, total in enumerate(totals) if total)
    assert chart["buckets"][last]["counts"] == {"error": 1}
    _x, _y, width = page.eval_on_selector("#timeline canvas", BOX)
    column = round((last + 0.5) * width / len(totals))
    bottom = page.eval_on_selector(
        "#timeline canvas",
        """(c, x) => Array.from(c.getContext("2d").getImageData(
             Math.floor(x * devicePixelRatio), c.height - Math.round(16 * devicePixelRatio) - 1, 1, 1).data)""",
        column,
    )
    assert bottom == page.evaluate(ERROR_COLOUR)


def test_a_click_opens_the_log_at_the_buckets_first_line_marked(page, log_dir):
    start = datetime(2026, 11, 25, 12, 0, 0)
    lines = [stamped(start + timedelta(seconds=i // 50), LEVELS[i % 4], f"record {i}") for i in range(3000)]
    append_lines(log_dir / "app.log", lines)
    open_viewer(page)
    chart = chart_of(page)
    target = next(i for i, bucket in enumerate(chart["buckets"]) if bucket["at"] and i > 10)
    first = int(datetime.fromisoformat(chart["buckets"][target]["start"]).timestamp() - start.timestamp()) * 50
    x, y, width = page.eval_on_selector("#timeline canvas", BOX)
    page.mouse.click(x + (target + 0.5) * width / len(chart["buckets"]), y + 20)
    page.wait_for_function(
        "text => document.querySelector('#log .l[aria-current=true]')?.textContent.endsWith(text)",
        arg=f"app: record {first}",
    )
    assert "at=" in page.url


def test_a_drag_over_bars_narrows_the_chart_to_them_and_esc_widens_it(page, log_dir):
    start = datetime(2026, 11, 25, 12, 0, 0)
    lines = [stamped(start + timedelta(seconds=i), "INFO", f"record {i}") for i in range(0, 3600, 5)]
    append_lines(log_dir / "app.log", lines)
    open_viewer(page)
    chart = chart_of(page)
    x, y, width = page.eval_on_selector("#timeline canvas", BOX)
    page.mouse.move(x + width * 0.25, y + 20)
    page.mouse.down()
    page.mouse.move(x + width * 0.5, y + 20, steps=5)
    page.mouse.up()
    page.wait_for_function("from => document.querySelector('#timeline').dataset.from !== from", arg=chart["from"])
    narrowed = [
        datetime.fromisoformat(t).timestamp()
        for t in page.eval_on_selector("#timeline", "e => [e.dataset.from, e.dataset.to]")
    ]
    low, high = (datetime.fromisoformat(chart[key]).timestamp() for key in ("from", "to"))
    assert low + (high - low) * 0.2 <= narrowed[0] and narrowed[1] <= low + (high - low) * 0.6
    assert page.is_visible("#timeline button")
    page.keyboard.press("Escape")
    page.wait_for_function("from => document.querySelector('#timeline').dataset.from === from", arg=chart["from"])
    assert page.is_hidden("#timeline button")


def test_the_newest_bar_grows_as_lines_arrive(page, log_dir):
    now = datetime.now().replace(microsecond=0)
    log = log_dir / "app.log"
    append_lines(log, [stamped(now - timedelta(seconds=30), "INFO", f"old {i}") for i in range(100)])
    append_lines(log, [stamped(now, "INFO", "now 0")])
    open_viewer(page)
    page.wait_for_selector("#timeline[data-state=drawn]")
    before = sum(page.eval_on_selector("#timeline", HEIGHTS)["heights"])
    append_lines(log, [stamped(datetime.now(), "ERROR", f"new {i}") for i in range(40)])
    page.wait_for_function(
        f"before => ({HEIGHTS})(document.querySelector('#timeline')).heights.reduce((a, b) => a + b, 0) > before",
        arg=before,
    )
