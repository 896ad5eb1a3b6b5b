"""What the scenarios write and count: numbered lines, bursts, big files, and the figures' statistics."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gevent
import gevent.event
from client import Viewer

from .systems import WORK


def write_lines(path: Path, start: int, stop: int, rate: float, written: dict[int, float]) -> None:
    """Append ``seq=N`` lines at ``rate`` per second, remembering when each was written."""
    with open(path, "a", buffering=1) as fh:
        began = time.perf_counter()
        for seq in range(start, stop):
            delay = began + (seq - start) / rate - time.perf_counter()
            if delay > 0:
                gevent.sleep(delay)
            written[seq] = time.perf_counter()
            fh.write(f"seq={seq} the quick brown fox jumps over the lazy dog\n")


SEQ = re.compile(r"seq=(\d+)")


SEQ_BYTES = re.compile(rb"seq=(\d+)")


def seq_of(text: str) -> int | None:
    at = text.find("seq=")
    return int(text[at + 4 :].split(" ", 1)[0]) if at >= 0 else None


# Burst payloads: lines without a level (as the original benchmark wrote), and Python logging records.
PLAIN = "seq={i} the quick brown fox jumps over the lazy dog\n"


LEVELLED = "2026-11-25 12:00:00,{ms:03d} {level:<8} demo.app: seq={i} the quick brown fox jumps\n"


BURST_LEVELS = ("DEBUG", "INFO", "INFO", "INFO", "WARNING", "ERROR")


def burst_payload(lines: int, shape: str) -> str:
    return "".join(shape.format(i=i, ms=i % 1000, level=BURST_LEVELS[i % len(BURST_LEVELS)]) for i in range(lines))


def stop_all(viewers: list[Viewer]) -> None:
    for viewer in viewers:
        viewer.stop()
    gevent.sleep(0.5)


def percentiles(samples: list[float]) -> dict:
    samples = sorted(samples)

    def pct(p: float) -> float | None:
        return round(samples[min(len(samples) - 1, int(p * len(samples)))] * 1000, 2) if samples else None

    return {"p50_ms": pct(0.50), "p99_ms": pct(0.99)}


def write_big(path: Path, size: int) -> int:
    """A log of about ``size`` bytes of 80-byte numbered lines; its size."""
    line = "seq={} a line of a big log file, padded to look like a real one ........\n"
    block = "".join(line.format(i) for i in range(10000)).encode()
    with open(path, "wb") as fh:
        for _ in range(max(1, -(-size // len(block)))):  # whole blocks, at least size
            fh.write(block)
    return path.stat().st_size


def write_timed(path: Path, size: int) -> tuple[int, int]:
    """About ``size`` bytes of ``logging`` records a millisecond apart from 2026-11-25 00:00:00 UTC; its size and
    seconds."""
    rest = [f",{ms:03d} INFO     demo.app: seq={ms} a record of a big log, padded out ........\n" for ms in range(1000)]
    second = 1_795_564_800  # 2026-11-25T00:00:00Z
    with open(path, "w") as fh:
        while fh.tell() < size:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second))
            fh.write("".join(stamp + tail for tail in rest))
            second += 1
    return path.stat().st_size, second - 1_795_564_800


def median_of(runs: int, measure) -> dict:
    """``measure()`` once to warm the page cache, then ``runs`` times: the run of median seconds."""
    measure()
    return sorted((measure() for _ in range(runs)), key=lambda result: result["seconds"])[runs // 2]


def grep(command: list[str], path: Path) -> dict:
    started = time.perf_counter()
    done = subprocess.run([*command, str(path)], capture_output=True, text=True)
    return {"seconds": time.perf_counter() - started, "matches": int(done.stdout.strip() or 0)}


@contextmanager
def scratch_logs(name: str) -> Iterator[Path]:
    """``WORK/<name>`` with an empty ``logs`` directory in it, removed afterwards."""
    scratch = WORK / name
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "logs").mkdir(parents=True)
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
