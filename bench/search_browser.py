#!/usr/bin/env python3
"""Time to the first search match on screen, in real Chromium; run by bench/run.py ("search" scenario).

    search_browser.py <base url> <password> <log name> <query>

Prints one JSON line: from submitting the search box to the frame that shows
the first match (measured inside the page), over 20 searches, each left to
finish; the first a second after the page loaded, as a user types.
"""

from __future__ import annotations

import json
import statistics
import sys

from chromium import viewer_page

FIRST_MATCH = """async (query) => {
    const form = document.getElementById("search");
    document.getElementById("query").value = query;
    form.querySelector("[name=case]").checked = true;
    const started = performance.now();
    form.requestSubmit();
    while (!document.querySelector("#hits .hit")) await new Promise(requestAnimationFrame);
    const took = performance.now() - started;
    while (!document.getElementById("search-stop").hidden) await new Promise(requestAnimationFrame);
    return took;
}"""


def main() -> None:
    base, password, name, query = sys.argv[1:5]
    with viewer_page(base, password, name) as (_context, page):
        page.wait_for_timeout(1000)  # a user takes longer than this to type a query
        times = sorted(page.evaluate(FIRST_MATCH, query) for _ in range(20))
    figures = {
        "first_match_screen_p50_ms": statistics.median(times),
        "first_match_screen_p90_ms": times[int(0.9 * len(times))],
        "first_match_screen_max_ms": times[-1],
    }
    figures = {key: round(value, 1) for key, value in figures.items()}
    print(json.dumps(figures | {"first_match_screen_ms": [round(took, 1) for took in times]}))


if __name__ == "__main__":
    main()
