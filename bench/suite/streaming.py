"""Scenarios of the live stream: latency, delivery, bursts, the first event, throughput in Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import time
from contextlib import suppress

import gevent
import gevent.event

from .systems import SETTLE, WORK, System, browser_figures, browser_run, free_port, wait_for_port
from .workloads import PLAIN, SEQ_BYTES, burst_payload, percentiles, seq_of, stop_all, write_big, write_lines

FRONTAIL = "frontail@4.9.2"


def latency(system: System, viewers: int, seconds: float) -> dict:
    name = f"latency-{viewers}.log"
    (system.log_dir / name).touch()
    written: dict[int, float] = {}
    samples: list[float] = []

    def on_lines(viewer, texts, now):
        for text in texts:
            seq = seq_of(text)
            if seq is not None and seq in written:
                samples.append(now - written[seq])

    group = system.viewers(name, viewers, on_lines)
    gevent.sleep(1.0)
    count = int(20 * seconds)
    write_lines(system.log_dir / name, 0, count, 20, written)
    gevent.sleep(SETTLE["retry"])  # one browser retry period for systems that end their streams
    stop_all(group)
    return percentiles(samples) | {"received_share": round(len(samples) / (count * viewers), 4)}


def delivery(system: System, viewers: int, lines: int) -> dict:
    name = f"delivery-{viewers}.log"
    (system.log_dir / name).touch()
    received: dict[int, list[int]] = {}

    def on_lines(viewer, texts, now):
        seqs = received.setdefault(id(viewer), [])
        seqs.extend(seq for seq in map(seq_of, texts) if seq is not None)

    group = system.viewers(name, viewers, on_lines, stagger=1.0)
    gevent.sleep(1.0)
    write_lines(system.log_dir / name, 0, lines, 400, {})
    gevent.sleep(SETTLE["retry"] + 0.5)
    stop_all(group)
    shares = [len(set(received.get(id(v), []))) / lines for v in group]
    duplicates = sum(len(seqs) - len(set(seqs)) for seqs in received.values())
    in_order = sum(seqs == sorted(set(seqs)) for seqs in received.values())
    return {
        "mean_share": round(statistics.mean(shares), 4),
        "min_share": round(min(shares), 4),
        "duplicates": duplicates,
        "viewers_in_order": in_order,
    }


def burst(system: System, lines: int, timeout: float, shape: str = PLAIN, name: str | None = None) -> dict:
    name = name or f"burst-{len(shape)}.log"
    (system.log_dir / name).touch()
    blocks: list[bytes] = []
    counted = 0
    done = gevent.event.Event()

    def on_lines(viewer, data, now):  # while the clock runs, only count: each line holds one "seq="
        nonlocal counted
        seam = blocks[-1][-3:] + data[:3] if blocks else b""  # one split between this piece and the last
        blocks.append(data)
        counted += data.count(b"seq=") + seam.count(b"seq=")
        if counted >= lines:
            done.set()

    group = system.viewers(name, 1, on_lines, raw=True)  # the seq numbers only: no markup to strip
    group[0].connected.wait(10)
    gevent.sleep(0.5)
    blocks.clear()  # the backlog of an earlier burst to the same file
    counted = 0
    payload = burst_payload(lines, shape)
    os.sync()  # the last burst's writes go to disk now, not in the kernel's writeback during this one
    cpu, started, own = system.cpu_seconds(), time.perf_counter(), time.process_time()
    with open(system.log_dir / name, "a") as fh:
        fh.write(payload)
    done.wait(timeout)
    took, cpu, own = time.perf_counter() - started, system.cpu_seconds() - cpu, time.process_time() - own
    stop_all(group)
    found = SEQ_BYTES.findall(b"".join(blocks))  # then which lines came, and whether any twice
    seen = set(map(int, found))
    repeated = len(found) - len(seen)
    return {
        "lines": lines,
        "received": len(seen),
        "repeated": repeated,
        "seconds": round(took, 3),
        "lines_per_s": round(len(seen) / took) if seen else 0,
        "server_us_per_line": round(cpu / lines * 1e6, 3),  # the server's CPU, user and kernel
        "client_us_per_line": round(own / lines * 1e6, 3),  # the writer's and the viewer's (this process)
        "complete": len(seen) == lines and not repeated,
    }


def first_event(system: System, size: int) -> dict:
    name = "big.log"
    path = system.log_dir / name
    written = write_big(path, size)
    arrived = gevent.event.Event()
    started = time.perf_counter()
    group = system.viewers(name, 1, lambda viewer, texts, now: arrived.set())
    arrived.wait(30)
    took = time.perf_counter() - started if arrived.is_set() else None
    stop_all(group)
    path.unlink()
    return {"bytes": written, "ms": round(took * 1000, 1) if took else None}


def throughput(system: System, rates: tuple[int, ...], seconds: float, minute: float) -> dict:
    """A viewer page in Chromium under 80-byte lines at each rate: lateness on screen, frame gaps, heap;
    then ours alone at the highest rate for ``minute`` seconds (the heap over a long run).

    frontail (npm) on another copy of the same log, measured the same way, where npm can install it.
    """
    log = system.log_dir / "fast.log"
    log.write_text("start\n")
    rates_text = ",".join(str(rate) for rate in rates)
    figures = browser_figures("throughput_browser.py", system, log.name, str(log), rates_text, str(seconds), "ours")
    figures["long"] = browser_figures(
        "throughput_browser.py", system, log.name, str(log), str(rates[-1]), str(minute), "ours"
    )
    frontail = WORK / "frontail" / "node_modules" / ".bin" / "frontail"
    if not frontail.exists() and shutil.which("npm"):
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(WORK / "frontail"), FRONTAIL],
            capture_output=True,
            timeout=300,
        )
    if not frontail.exists():
        return figures | {"frontail": {"browser_error": f"{FRONTAIL} could not be installed (npm missing?)"}}
    other = system.log_dir / "frontail.log"
    other.write_text("start\n")
    port = free_port()
    server = subprocess.Popen(
        [str(frontail), "--port", str(port), "--host", "127.0.0.1", "--number", "100", str(other)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        process_group=0,
    )
    try:
        wait_for_port(port)
        url = f"http://127.0.0.1:{port}/"
        theirs = browser_run("throughput_browser.py", url, "-", "-", str(other), rates_text, str(seconds), "frontail")
    finally:  # the whole group: frontail follows the file with a `tail -F` of its own, which outlives it
        with suppress(ProcessLookupError):  # all of it gone already
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:  # still busy with the backlog it could not keep up with
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    return figures | {"frontail": theirs}
