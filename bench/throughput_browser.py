#!/usr/bin/env python3
"""A viewer page under a fast log, in real Chromium; run by bench/run.py ("throughput" scenario).

    throughput_browser.py <base url> <password> <log name> <log path> <lines/s,...> <seconds> ours
    throughput_browser.py <frontail url> - - <log path> <lines/s,...> <seconds> frontail
    throughput_browser.py <base url> <password> "?files=a.log,b.log" <path>,<path> <lines/s,...> <seconds> merged

For each rate, a fresh page follows a log that gets 80-byte lines at that rate
(written every 5 ms, each line stamped with the time it was written); the
merged page follows several, each getting its share of the rate in turn, each
line also stamped as Python's logging stamps it (the merge orders by it). Inside
the page: how late the newest line is when it is put on screen (measured at
each change of the page's lines), the longest gap between animation frames,
and the JS heap (sampled every second through the DevTools protocol). Prints
one JSON line.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from pathlib import Path

from chromium import opened_page, viewer_page

# Where each page keeps its lines, and what shows it is following.
PAGES = {
    "ours": ("#log", "#status[data-state=live]"),
    "merged": ("#log", "#status[data-state=live]"),
    "frontail": ("pre.log", "pre.log .line"),
}

WATCH = """(container) => {
    window.lateness = [];
    window.gaps = [];
    const log = document.querySelector(container);
    new MutationObserver(() => {
        const last = log.lastElementChild;
        const stamp = last && /@(\\d+) #/.exec(last.textContent);
        if (stamp) window.lateness.push(Date.now() - Number(stamp[1]));
    }).observe(log, { childList: true });
    let previous = performance.now();
    const tick = (now) => {
        window.gaps.push(now - previous);
        previous = now;
        if (!window.stopped) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
}"""


def write(paths: list[Path], rate: int, seconds: float, done: threading.Event) -> int:
    """Lines at ``rate`` a second for ``seconds``, in a burst every 5 ms, to each of ``paths`` in turn (stamped as
    ``logging`` stamps a record when there are several); how many were written."""
    written, started = 0, time.monotonic()
    files = [open(path, "a") for path in paths]  # noqa: SIM115 (all closed below)
    try:
        while (elapsed := time.monotonic() - started) < seconds:
            due = int(elapsed * rate) - written
            if due > 0:
                now = time.time()
                ms = int(now * 1000)
                stamp = f"@{ms} "
                if len(files) > 1:
                    stamp = f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(now))},{ms % 1000:03d} {stamp}"
                batches: list[list[str]] = [[] for _ in files]
                for i in range(due):
                    batches[(written + i) % len(files)].append(f"{stamp}#{written + i:09d} {'x' * 53}\n")
                for fh, batch in zip(files, batches, strict=True):
                    fh.write("".join(batch))
                    fh.flush()
                written += due
            time.sleep(0.005)
    finally:
        for fh in files:
            fh.close()
    done.set()
    return written


def measure(system: str, base: str, password: str, name: str, paths: list[Path], rate: int, seconds: float) -> dict:
    container, ready = PAGES[system]
    opening = viewer_page(base, password, name) if system != "frontail" else opened_page(base, ready)
    with opening as (context, page):
        page.evaluate(WATCH, container)
        cdp = context.new_cdp_session(page)
        heap = []
        done = threading.Event()
        writer = threading.Thread(target=write, args=(paths, rate, seconds, done))
        writer.start()
        while not done.wait(1.0):
            heap.append(cdp.send("Runtime.getHeapUsage")["usedSize"])
        writer.join()
        page.wait_for_timeout(500)  # the last lines land
        page.evaluate("() => { window.stopped = true; }")
        lateness = sorted(page.evaluate("window.lateness"))
        gaps = page.evaluate("window.gaps")[10:]  # the page's own start is not the log's doing
        heap.append(cdp.send("Runtime.getHeapUsage")["usedSize"])
        elements = page.locator(f"{container} > *").count()
    worst = gaps.index(max(gaps)) if gaps else None
    return {
        "rate": rate,
        "seconds": seconds,
        "newest_on_screen_p50_ms": round(statistics.median(lateness), 1) if lateness else None,
        "newest_on_screen_p99_ms": round(lateness[int(0.99 * (len(lateness) - 1))], 1) if lateness else None,
        "worst_frame_gap_ms": round(gaps[worst], 1) if gaps else None,
        # When it ended, in seconds after the first counted frame: the page's warm-up, or the steady state.
        "worst_frame_gap_at_s": round(sum(gaps[: worst + 1]) / 1000, 1) if gaps else None,
        "frame_gaps_over_50_ms": sum(1 for gap in gaps if gap > 50),
        "heap_max_mb": round(max(heap) / 1e6, 1),
        "heap_end_mb": round(heap[-1] / 1e6, 1),
        "elements": elements,
    }


def main() -> None:
    base, password, name, paths, rates, seconds, system = sys.argv[1:8]
    logs = [Path(path) for path in paths.split(",")]
    figures = [measure(system, base, password, name, logs, int(rate), float(seconds)) for rate in rates.split(",")]
    print(json.dumps({"rates": figures}))


if __name__ == "__main__":
    main()
