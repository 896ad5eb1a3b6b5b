"""Scenario of formats: levels and times recognised on real layouts, and their cost."""

from __future__ import annotations

import statistics
import sys
import time

from .systems import WORK
from .workloads import burst_payload


def levels_cost(lines: int, shape: str) -> float:
    """Nanoseconds per line the stream spends recognising levels in a burst of this shape (its batches)."""
    sys.path.insert(0, str(WORK / "log_viewer"))
    from log_viewer.levels import Levels

    text = burst_payload(lines, shape).encode().splitlines()
    levels, spent = Levels(), 0.0
    for first in range(0, len(text), 2000):  # about a batch's worth of lines, as the stream has them:
        batch = b"\n".join(text[first : first + 2000]).split(b"\n")  # just split from the bytes read
        started = time.perf_counter()
        levels.of(batch)
        spent += time.perf_counter() - started
    return round(spent / len(text) * 1e9)


# Five layouts of real systems (issue 31): line ``i`` with its level and its time (epoch seconds, 1 ms apart).
FORMAT_BASE = (int(time.time()) // 3600 - 48) * 3600  # two days ago: a year-less stamp takes the file's year


_LETTERS = ("D", "I", "I", "I", "W", "E")


FORMAT_LEVELS = ("debug", "info", "info", "info", "warning", "error")


def _stamp(i: int, shape: str) -> str:
    return time.strftime(shape, time.localtime(FORMAT_BASE + i // 1000))


FORMAT_LINES = {
    "android logcat": lambda i: (
        f"{_stamp(i, '%m-%d %H:%M:%S')}.{i % 1000:03d}  1702  2395 {_LETTERS[i % 6]} "
        f"ActivityManager: request {i} served"
    ),
    "openstack oslo.log": lambda i: (
        f"{_stamp(i, '%Y-%m-%d %H:%M:%S')}.{i % 1000:03d} 25746 "
        f"{FORMAT_LEVELS[i % 6].upper()} nova.osapi_compute.wsgi.server [req-{i}] GET /v2/servers status: 200"
    ),
    "windows cbs": lambda i: (
        f"{_stamp(i, '%Y-%m-%d %H:%M:%S')}, {FORMAT_LEVELS[i % 6].capitalize():<22}"
        f"CBS    Loaded Servicing Stack v6.1.{i} with Core"
    ),
    "blue gene ras": lambda i: (
        f"- {FORMAT_BASE + i // 1000} 2005.06.03 R02-M1-N0-C:J12-U11 "
        f"{_stamp(i, '%Y-%m-%d-%H.%M.%S')}.{i % 1000:03d}000 R02-M1-N0-C:J12-U11 RAS KERNEL "
        f"{FORMAT_LEVELS[i % 6].upper()} instruction cache parity error corrected {i}"
    ),
    "spark log4j": lambda i: (
        f"{_stamp(i, '%y/%m/%d %H:%M:%S')} {FORMAT_LEVELS[i % 6].upper()} "
        f"executor.Executor: Finished task {i}.0 in stage 1.0"
    ),
}


def formats(lines: int, size: int) -> dict:
    """Per layout: the levels' cost and share right on a burst's batches, and going to a time in a big file.

    The time asked for is a line's own second (``?at=`` takes whole seconds): the answer must be the first
    line of that second, found by bisection (the median of five).
    """
    sys.path.insert(0, str(WORK / "log_viewer"))
    from log_viewer.levels import Levels
    from log_viewer.moments import first_at_or_after

    found = {}
    for name, make in FORMAT_LINES.items():
        burst = [make(i).encode() for i in range(lines)]
        levels, spent, right = Levels(), 0.0, 0
        for first in range(0, lines, 2000):
            batch = burst[first : first + 2000]
            started = time.perf_counter()
            got = levels.of(batch)
            spent += time.perf_counter() - started
            right += sum(level == FORMAT_LEVELS[(first + n) % 6] for n, level in enumerate(got))
        path = WORK / "formats.log"
        written, i, starts = 0, 0, {}
        with open(path, "wb") as fh:
            while written < size:
                block = [make(n) + "\n" for n in range(i, i + 100_000)]
                starts[i] = written
                data = "".join(block).encode()
                fh.write(data)
                written, i = written + len(data), i + len(block)
        target = (i // 2) // 100_000 * 100_000 + 1000  # a second's first line, in the middle of the file
        expected = starts[target // 100_000 * 100_000] + sum(
            len(make(n)) + 1 for n in range(target // 100_000 * 100_000, target)
        )
        times = []
        for _ in range(5):
            started = time.perf_counter()
            at = first_at_or_after(str(path), FORMAT_BASE + target // 1000)
            times.append((time.perf_counter() - started) * 1000)
        path.unlink()
        found[name] = {
            "levels_ns_per_line": round(spent / lines * 1e9),
            "levels_right_share": round(right / lines, 4),
            "at_ms": round(statistics.median(times), 2),
            "at_found_the_line": at == expected,
            "file_bytes": written,
        }
        print("formats", name, found[name], flush=True)
    return found
