#!/usr/bin/env python3
"""The history figures in real Chromium; run by bench/run.py (its "history" scenario).

    history_browser.py <base url> <password> <log name> <lines to scroll back>

Prints one JSON line: time to reach line 1 with the jump-to-start control
(measured inside the page, from the key press to the frame showing the first
line), and the page's line elements and JS heap while scrolling back.
"""

from __future__ import annotations

import json
import statistics
import sys

from chromium import viewer_page

TO_LINE_1 = """async () => {
    const started = performance.now();
    document.dispatchEvent(new KeyboardEvent("keydown", {key: "Home", bubbles: true}));
    while (!document.querySelector("#log .marker.edge")) await new Promise(requestAnimationFrame);
    return performance.now() - started;
}"""

TO_THE_END = """async () => {
    document.dispatchEvent(new KeyboardEvent("keydown", {key: "End", bubbles: true}));
    while (!document.getElementById("live").hidden || document.querySelector("#log .marker.edge")) {
        await new Promise(requestAnimationFrame);
    }
}"""

# Scroll to the top `steps` times, each time waiting for the lines read back (200 a request).
SCROLL_BACK = """async (steps) => {
    const log = document.getElementById("log");
    const first = () => log.querySelector(".l").dataset.at;
    for (let step = 0; step < steps; step++) {
        const before = first();
        log.scrollTop = 0;
        while (first() === before) await new Promise(requestAnimationFrame);
    }
    return document.querySelectorAll("#log > *").length;
}"""
PAGE = 200  # lines a scroll reads back (history.js)


def heap_mb(cdp) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    return round(cdp.send("Runtime.getHeapUsage")["usedSize"] / 1e6, 1)


def main() -> None:
    base, password, name, scroll_lines = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    with viewer_page(base, password, name) as (context, page):
        page.wait_for_selector("#log .l")
        jumps = []
        for _ in range(7):
            jumps.append(page.evaluate(TO_LINE_1))
            page.evaluate(TO_THE_END)
        cdp = context.new_cdp_session(page)
        figures = {
            "to_line_1_p50_ms": round(statistics.median(jumps), 1),
            "to_line_1_max_ms": round(max(jumps), 1),
            "heap_mb_before": heap_mb(cdp),
            "heap_mb_during": [],
        }
        steps = max(1, scroll_lines // PAGE // 5)
        for _ in range(5):
            figures["elements_after"] = page.evaluate(SCROLL_BACK, steps)
            figures["heap_mb_during"].append(heap_mb(cdp))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
