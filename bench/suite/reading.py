"""Scenarios of reading a big file: history, going to a time, search next to grep, the timeline."""

from __future__ import annotations

import http.client
import json
import statistics
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import gevent
import gevent.event

from .streaming import burst
from .systems import System, browser_figures
from .workloads import LEVELLED, grep, median_of, seq_of, stop_all, write_big, write_lines, write_timed


def timed_lines(system: System, targets: list[str], lines: int | None = 200) -> list[float]:
    """The seconds of each ``P/lines`` request (paths after ``/logs``), sorted; each must answer ``lines`` lines."""
    connection = http.client.HTTPConnection("127.0.0.1", system.port, timeout=30)
    samples = []
    for target in targets:
        started = time.perf_counter()
        connection.request("GET", f"/logs/{target}", headers=system.headers)
        answer = connection.getresponse()
        body = answer.read()
        samples.append(time.perf_counter() - started)
        assert answer.status == 200, (answer.status, body[:300])
        assert lines is None or body.count(b'class="l"') == lines, body[:300]
    connection.close()
    return sorted(samples)


def history(system: System, size: int, scroll_lines: int) -> dict:
    """``P/lines`` (200 lines) at the start, middle and end of a 1 MB and a big file; then the browser's figures."""
    figures: dict = {}
    for label, total in (("1mb", 1_000_000), ("big", size)):
        path = system.log_dir / f"history-{label}.log"
        figures[f"{label}_bytes"] = written = write_big(path, total)
        for where, query in (("start", "from=start&"), ("middle", f"before={written // 2}&"), ("end", "")):
            samples = timed_lines(system, [f"lines/{path.name}?{query}limit=200"] * 50)
            figures[f"{label}_{where}_p50_ms"] = round(samples[len(samples) // 2] * 1000, 2)
            figures[f"{label}_{where}_p99_ms"] = round(samples[int(0.99 * len(samples))] * 1000, 2)
    figures.update(browser_figures("history_browser.py", system, "history-big.log", str(scroll_lines)))
    for label in ("1mb", "big"):
        (system.log_dir / f"history-{label}.log").unlink()
    figures.update(to_a_time(system, size))
    return figures


def to_a_time(system: System, size: int) -> dict:
    """``P/lines?from=<time>`` on a big file of records (the viewer's go-to-time): a bisection per request."""
    path = system.log_dir / "history-timed.log"
    written, seconds = write_timed(path, size)
    moments = [
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_795_564_800 + seconds * step // 40)) + ".5Z"
        for step in range(41)
    ]
    samples = timed_lines(system, [f"lines/{path.name}?from={moment}&limit=200" for moment in moments], None)
    path.unlink()
    return {
        "timed_bytes": written,
        "to_time_p50_ms": round(samples[len(samples) // 2] * 1000, 2),
        "to_time_max_ms": round(samples[-1] * 1000, 2),
    }


def merged_read(system: System, size: int, live: tuple[str, str]) -> dict:
    """``P/lines?files=a,b,c&from=<time>``: 200 lines merged by time from about the middle of three big files of
    records (the same stamps in each: every line ties with two others); then the merged page of the three in
    Chromium, under ``live`` (lines/s of the three together, seconds each)."""
    names = [f"merged-{part}.log" for part in "abc"]
    written, seconds = 0, 0
    for name in names:
        size_written, seconds = write_timed(system.log_dir / name, size)
        written += size_written
    moments = [
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_795_564_800 + seconds * (10 + step) // 60)) + "Z"
        for step in range(41)
    ]
    samples = timed_lines(system, [f"lines?files={','.join(names)}&from={moment}&limit=200" for moment in moments])
    for name in names:
        (system.log_dir / name).write_text("")  # the same files, live: 80-byte records to each in turn
    paths = ",".join(str(system.log_dir / name) for name in names)
    rates, seconds_each = live
    browser = browser_figures(
        "throughput_browser.py", system, f"?files={','.join(names)}", paths, rates, seconds_each, "merged"
    )
    for name in names:
        (system.log_dir / name).unlink()
    return {
        "files": len(names),
        "bytes": written,
        "p50_ms": round(samples[len(samples) // 2] * 1000, 2),
        "max_ms": round(samples[-1] * 1000, 2),
        "live": browser,  # the merged page in Chromium: lines/s (all files together), newest on screen
    }


# The searches timed, as (label, our query, grep -c's options). Case-sensitive unless "any case".
HARD = r"[^\n]{70}[0-9]{9}$"  # no literal to skip ahead with: every byte goes through the regex engine


SEARCHES = (
    ("literal, rare word", {"q": "connection reset"}, ["-F", "connection reset"]),
    ("literal, rare word, any case", {"q": "Connection Reset", "case": "0"}, ["-F", "-i", "Connection Reset"]),
    ("literal, 1 line in 10,000", {"q": "seq=7777 a"}, ["-F", "seq=7777 a"]),
    ("literal, 1 line in 10,000, any case", {"q": "SEQ=7777 A", "case": "0"}, ["-F", "-i", "SEQ=7777 A"]),
    ("regex", {"q": "seq=7[0-9]77 a", "regex": "1"}, ["-E", "seq=7[0-9]77 a"]),
    ("regex without a literal", {"q": HARD, "regex": "1"}, ["-E", ".{70}[0-9]{9}$"]),
)


READ_ONS = 4  # bursts appended, each then read into the index by a timeline


def timeline_scan(system: System, size: int, appended: int) -> dict:
    """P/timeline over a GB of logging records, next to grep -c over the same bytes: the first timeline (no index
    yet; the median of 3, the index removed before each), later ones, the index's size; then ``appended`` lines
    streamed to one viewer, and the CPU of reading them into the index (the next timeline's, less what answering
    one costs when there is nothing to read on) next to the CPU of streaming them."""
    state = Path(system.env["LOG_VIEWER_STATE_DIRECTORY"])
    path = system.log_dir / "timeline.log"
    written, _seconds = write_timed(path, size)

    def ask() -> dict:
        connection = http.client.HTTPConnection(system.host, system.port, timeout=120)
        started = time.perf_counter()
        connection.request("GET", f"/logs/timeline/{path.name}?buckets=120", headers=system.headers)
        answer = connection.getresponse()
        body = answer.read()
        took = time.perf_counter() - started
        connection.close()
        assert answer.status == 200, body[:300]
        return {"seconds": took, "lines": sum(sum(b["counts"].values()) for b in json.loads(body)["buckets"])}

    def cold() -> dict:
        for index in state.glob("timeline-*"):
            index.unlink()
        return ask()

    first = median_of(3, cold)
    cpu = system.cpu_seconds(children=True)
    later = sorted(ask()["seconds"] for _ in range(41))
    answering = (system.cpu_seconds(children=True) - cpu) / 41  # a timeline's own CPU, with nothing to read on
    index_bytes = sum(index.stat().st_size for index in state.glob("timeline-*"))
    counted = median_of(3, lambda: grep(["grep", "-c", ""], path))
    streaming = cpu = 0.0
    complete = True
    for _ in range(READ_ONS):  # bursts a worker reads on in a thread of its own (under indexes.THREAD_BYTES)
        streamed = burst(system, appended, 60, LEVELLED, path.name)
        streaming += streamed["server_us_per_line"] / READ_ONS
        complete &= streamed["complete"]
        before = system.cpu_seconds(children=True)
        read_on = ask()
        cpu += system.cpu_seconds(children=True) - before - answering
    appended *= READ_ONS
    path.unlink()
    return {
        "bytes": written,
        "first_seconds": round(first["seconds"], 3),
        "first_mb_per_s": round(written / 1e6 / first["seconds"]),
        "lines": first["lines"],
        "grep_seconds": round(counted["seconds"], 3),
        "grep_lines": counted["matches"],
        "later_p50_ms": round(later[20] * 1000, 1),
        "later_max_ms": round(later[-1] * 1000, 1),
        "index_kib": round(index_bytes / 1024),
        "index_kib_per_gb": round(index_bytes / 1024 / (written / 1e9)),
        "answer_cpu_ms": round(answering * 1000, 2),
        "appended_lines": appended,
        "read_on_lines": read_on["lines"] - first["lines"],
        "read_on_us_per_line": round(cpu / appended * 1e6, 3),
        "stream_us_per_line": round(streaming, 3),
        "read_on_share_of_streaming": round(cpu / appended * 1e6 / streaming, 3)
        if streaming
        else None,  # too few lines for the clock's ticks (--smoke)
        "streamed_complete": complete,
    }


def timed_search(system: System, name: str, query: dict) -> dict:
    """One search over HTTP: seconds to its first match (None without one) and to its end, and its summary."""
    connection = http.client.HTTPConnection("127.0.0.1", system.port, timeout=600)
    fields = {"case": "1", "limit": "100000"} | query
    started = time.perf_counter()
    connection.request("GET", f"/logs/search/{name}?{urllib.parse.urlencode(fields)}", headers=system.headers)
    response = connection.getresponse()
    assert response.status == 200, (response.status, response.read()[:300])
    first, event, done = None, None, None
    while done is None:
        line = response.fp.readline().decode()
        assert line, "the search ended without its done event"
        if line.startswith("event: "):
            event = line[7:].strip()
        elif line.startswith("data: ") and event is None and first is None:
            first = time.perf_counter() - started
        elif line.startswith("data: ") and event == "done":
            done = json.loads(line[6:])
        elif line == "\n":
            event = None
    took = time.perf_counter() - started
    connection.close()
    return {"first": first, "seconds": took, **done}


def search_scan(system: System, size: int, zipped: int) -> dict:
    """Search MB/s next to grep -c and zgrep -c, time to a first match, a live stream's latency during a search."""
    big, current = system.log_dir / "search.log", system.log_dir / "zipped.log"
    figures: dict = {"big_bytes": write_big(big, size), "searches": {}}
    current.write_text("seq=none the current file, searched first\n")
    source = system.log_dir / "zipped-source"
    figures["gz_bytes_uncompressed"] = write_big(source, zipped)
    with open(current.with_name("zipped.log.1.gz"), "wb") as out:
        subprocess.run(["gzip", "-1", "-c", str(source)], stdout=out, check=True)
    source.unlink()
    figures["gz_bytes"] = current.with_name("zipped.log.1.gz").stat().st_size
    for label, query, command in SEARCHES:
        ours = median_of(3, lambda: timed_search(system, big.name, query))  # noqa: B023 (called at once)
        theirs = median_of(3, lambda: grep(["grep", "-c", *command], big))  # noqa: B023
        figures["searches"][label] = summary(ours, theirs, figures["big_bytes"], "grep -c")
    ours = median_of(3, lambda: timed_search(system, current.name, {"q": "seq=7777 a"}))
    theirs = median_of(3, lambda: grep(["zgrep", "-c", "-F", "seq=7777 a"], current.with_name("zipped.log.1.gz")))
    unpacked = figures["gz_bytes_uncompressed"]
    figures["searches"][f".gz sibling ({unpacked / 1e6:.0f} MB unpacked), literal"] = summary(
        ours, theirs, unpacked, "zgrep -c"
    )
    # The first match near the start of the newest file: seq=3 is the fourth line.
    firsts = sorted(timed_search(system, big.name, {"q": "seq=3 a", "limit": "1"})["first"] for _ in range(20))
    figures["first_match_p50_ms"] = round(firsts[10] * 1000, 1)
    figures["first_match_max_ms"] = round(firsts[-1] * 1000, 1)
    figures.update(browser_figures("search_browser.py", system, big.name, "seq=3 a"))
    figures.update(stream_during_search(system, big.name))
    big.unlink()
    return figures


def summary(ours: dict, theirs: dict, size: int, tool: str) -> dict:
    return {
        "ours_mb_per_s": round(size / 1e6 / ours["seconds"]),
        "tool": tool,
        "tool_mb_per_s": round(size / 1e6 / theirs["seconds"]),
        "ours_matches": ours["matches"],
        "tool_matches": theirs["matches"],
    }


def stream_during_search(system: System, big: str) -> dict:
    """A viewer of another file on the same (one-worker) server: latency before, then during, a search."""
    calm = system.log_dir / "search-calm.log"
    calm.touch()
    written: dict[int, float] = {}
    samples: dict[str, list[float]] = {"quiet": [], "searching": []}
    phase = {"now": "quiet"}

    def on_lines(viewer, texts, now):
        for seq in map(seq_of, texts):
            if seq in written:
                samples["quiet" if seq < 600 else "searching"].append(now - written[seq])

    group = system.viewers(calm.name, 1, on_lines)
    gevent.sleep(1.0)
    write_lines(calm, 0, 600, 200, written)  # 3 s at 200 lines/s

    def search_meanwhile() -> None:
        while phase["now"] == "searching":
            scans.append(timed_search(system, big, {"q": HARD, "regex": "1"}))

    scans: list[dict] = []
    phase["now"] = "searching"
    searcher = gevent.spawn(search_meanwhile)
    gevent.sleep(0.3)  # the scan is running
    write_lines(calm, 600, 1200, 200, written)
    phase["now"] = "done"
    searcher.join()
    gevent.sleep(0.5)
    stop_all(group)
    figures: dict = {
        "searches_during": len(scans),
        "hard_regex_mb_per_s": round(statistics.median(scans[0]["scanned"] / 1e6 / scan["seconds"] for scan in scans)),
    }
    for name, values in samples.items():
        values.sort()
        figures[f"stream_{name}_p50_ms"] = round(values[len(values) // 2] * 1000, 2) if values else None
        figures[f"stream_{name}_p99_ms"] = round(values[int(0.99 * len(values))] * 1000, 2) if values else None
        figures[f"stream_{name}_share"] = round(len(values) / 600, 4)
    return figures
