"""Scenarios of many streams: idle viewers (and the heartbeats' floor), fan-out, stalled readers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from itertools import pairwise
from pathlib import Path

import gevent
import gevent.event

from .systems import HELD_PER_PROCESS, ROOT, SETTLE, System
from .workloads import SEQ_BYTES, percentiles, seq_of, stop_all, write_lines


def ask(holder: subprocess.Popen) -> tuple[int, int]:
    """How many viewers a client process holds connected, and how many refusals it has had."""
    holder.stdin.write("\n")
    holder.stdin.flush()
    connected, refused = holder.stdout.readline().split()
    return int(connected), int(refused)


LOOPBACK_RPS = Path("/sys/class/net/lo/queues/rx-0/rps_cpus")


def can_steer() -> bool:
    """Whether the loopback's receive path can be moved to another core (root, two cores to use)."""
    return os.geteuid() == 0 and len(os.sched_getaffinity(0)) >= 2 and os.access(LOOPBACK_RPS, os.W_OK)


@contextmanager
def receive_path_elsewhere(server: list[int], clients: list[int]) -> Iterator[None]:
    """Loopback as a network does it: the server on one core, the clients on another, and packets received on
    loopback handled on the clients' core (RPS), not inside the server's ``write``. Undone on leaving.

    On loopback the sender's ``write`` runs the receiver's TCP too (and the receiver's quick ACK back): work a
    remote browser's machine does. Steered, the server is also spared the ACKs it receives, which a real
    network's server does handle: so the steered figure is a lower bound of the server's cost, the plain
    one an upper bound.
    """
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, client_cpu = cpus[0], cpus[-1]
    rps = LOOPBACK_RPS.read_text().strip()
    affinity = {pid: os.sched_getaffinity(pid) for pid in server + clients}
    try:
        LOOPBACK_RPS.write_text(f"{1 << client_cpu:x}\n")
        for pid in server:
            os.sched_setaffinity(pid, {server_cpu})
        for pid in clients:
            os.sched_setaffinity(pid, {client_cpu})
        yield
    finally:
        LOOPBACK_RPS.write_text(f"{rps}\n")
        for pid, cpus in affinity.items():
            with suppress(ProcessLookupError):
                os.sched_setaffinity(pid, cpus)


def idle(system: System, viewers: int, window: float, steered: bool = False) -> dict:
    """``viewers`` streams of a quiet file held open: the server's CPU (and kernel share) and memory per viewer.

    The viewers live in client processes of their own (``client.py``), 10,000 each. With ``steered`` (and
    the rights for it), a second window measures the same with the loopback's receive path on another core.
    """
    name = "idle.log"
    with open(system.log_dir / name, "w") as fh:
        fh.write("".join(f"seq={i} idle line\n" for i in range(100)))
    baseline_rss = system.rss_kib()
    holders = []
    for start in range(0, viewers, HELD_PER_PROCESS):
        count = min(HELD_PER_PROCESS, viewers - start)
        arguments = [system.host, str(system.port), system.stream_path.format(name), str(count)]
        holders.append(
            subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "client.py"), *arguments, json.dumps(system.headers)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                process_group=0,
            )
        )
    try:
        counts = [(0, 0)] * len(holders)
        deadline = time.monotonic() + 90
        while sum(held for held, _refused in counts) < viewers and time.monotonic() < deadline:
            time.sleep(0.5)
            counts = [ask(holder) for holder in holders]
        time.sleep(SETTLE["idle"])
        arrived: list[float] = []  # one more viewer, in this process: when each of its pieces came
        watching = system.viewers(name, 1, lambda _viewer, _piece, now: arrived.append(now), raw=True)
        watching[0].connected.wait(10)
        began = time.perf_counter()
        cpu, kernel = cpu_share(system, window)
        ended = time.perf_counter()
        stop_all(watching)
        times = [began, *(when for when in arrived if began < when < ended), ended]
        silence = max(later - earlier for earlier, later in pairwise(times))
        rss = system.rss_kib()
        counts = [ask(holder) for holder in holders]
        steered_figures = {}
        if steered and can_steer():
            with receive_path_elsewhere(system.pids(), [holder.pid for holder in holders]):
                time.sleep(SETTLE["idle"])
                steered_cpu, steered_kernel = cpu_share(system, window)
                steered_figures = {"steered_cpu_percent": steered_cpu, "steered_kernel_percent": steered_kernel}
    finally:
        for holder in holders:
            holder.stdin.close()
        for holder in holders:
            try:
                holder.wait(30)
            except subprocess.TimeoutExpired:
                holder.kill()
                holder.wait()
    time.sleep(2.0)
    held = sum(count[0] for count in counts)
    return {
        "viewers": viewers,
        "connected": held,
        "refusals": sum(count[1] for count in counts),
        "cpu_percent_of_one_core": cpu,
        "kernel_percent_of_one_core": kernel,
        "rss_kib": rss,
        "kib_per_viewer": round((rss - baseline_rss) / max(held, 1), 1),
        "longest_silence_s": round(silence, 2),  # on an idle stream, over the window: at most the heartbeat
        **steered_figures,
    }


def cpu_share(system: System, window: float) -> tuple[float, float]:
    """The server's CPU over the next ``window`` seconds, all of it and the kernel's, in % of one core."""
    (cpu, kernel), started = system.cpu_times(), time.perf_counter()
    time.sleep(window)
    (cpu_now, kernel_now), wall = system.cpu_times(), time.perf_counter() - started
    return round((cpu_now - cpu) / wall * 100, 2), round((kernel_now - kernel) / wall * 100, 2)


# The fanout scenario's writer, a process of its own (the viewers share the benchmark's): numbered lines at a
# fixed rate from a monotonic start, so many to a write() (the clock is the machine's, as the viewers').
FANOUT_WRITER = """
import os, sys, time
path, start = sys.argv[1], float(sys.argv[5])
rate, per_write, count = map(int, sys.argv[2:5])
fd = os.open(path, os.O_WRONLY | os.O_APPEND)
for first in range(0, count, per_write):
    delay = start + first / rate - time.perf_counter()
    if delay > 0:
        time.sleep(delay)
    os.write(fd, b"".join(b"seq=%d a record of a busy log, as logging writes it\\n" % seq
                          for seq in range(first, min(count, first + per_write))))
"""


def fanout(system: System, cases: tuple[tuple[int, int, int], ...], seconds: float) -> dict:
    """Many viewers of a busy log: per (viewers, lines/s, lines per write), the server's CPU and the lag.

    The writer (a process of its own) appends numbered lines at a fixed rate, ``per_write`` to a ``write()``
    (1: as ``logging`` writes, one record at a time); the viewers read everything (the stream's bytes,
    counted, not parsed), each event's last line timed from when it was due.
    """
    found = {}
    for viewers, rate, per_write in cases:
        name = f"fanout-{viewers}-{rate}-{per_write}.log"
        path = system.log_dir / name
        path.touch()
        written: dict[int, float] = {}
        lags: list[float] = []
        got = [0]
        tails: dict = {}  # per viewer, a piece's unfinished last line: a field split between pieces counts once

        def on_lines(viewer, data, now, written=written, lags=lags, got=got, tails=tails):
            tail, first, last = tails.pop(viewer, b""), data.find(b"\n") + 1, data.rfind(b"\n") + 1
            if not first:  # no line ends in this piece
                tails[viewer] = tail + data
                return
            found_seqs = SEQ_BYTES.findall(tail + data[:first]) + SEQ_BYTES.findall(data, first, last)
            tails[viewer] = data[last:]
            got[0] += len(found_seqs)
            if found_seqs and int(found_seqs[-1]) in written:
                lags.append(now - written[int(found_seqs[-1])])

        group = system.viewers(name, viewers, on_lines, raw=True)
        gevent.sleep(1.0)
        count = int(rate * seconds)
        cpu, started = system.cpu_seconds(), time.perf_counter() + 0.5
        written.update((seq, started + seq // per_write * per_write / rate) for seq in range(count))  # when due
        writer = subprocess.Popen(
            [sys.executable, "-c", FANOUT_WRITER, str(path), str(rate), str(per_write), str(count), repr(started)]
        )
        while writer.poll() is None:
            gevent.sleep(0.05)
        deadline = time.perf_counter() + 30
        while got[0] < count * viewers and time.perf_counter() < deadline:
            gevent.sleep(0.05)
        spent, wall = system.cpu_seconds() - cpu, time.perf_counter() - started
        stop_all(group)
        path.unlink()
        found[f"{viewers}x{rate}/{per_write}"] = {
            "viewers": viewers,
            "lines_per_s": rate,
            "lines_per_write": per_write,
            "cpu_percent_of_one_core": round(spent / wall * 100, 1),
            "received_share": round(got[0] / (count * viewers), 4),
        } | percentiles(lags)
        print(system.name, "fanout", found[f"{viewers}x{rate}/{per_write}"], flush=True)
    return found


def stalled(system: System, readers: int, megabytes: int) -> dict:
    """Readers that never read while their file takes a burst; a calm viewer of another file meanwhile."""
    hot, calm = system.log_dir / "stalled-hot.log", system.log_dir / "stalled-calm.log"
    hot.write_text("start\n")
    calm.touch()
    sockets = []
    for i in range(readers):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", system.port))
        request = "".join(f"{key}: {value}\r\n" for key, value in system.headers.items())
        sock.sendall(f"GET {system.stream_path.format(hot.name)} HTTP/1.1\r\nHost: x\r\n{request}\r\n".encode())
        sockets.append(sock)
        if i % 100 == 99:
            gevent.sleep(0.05)
    written: dict[int, float] = {}
    samples: list[float] = []

    def on_lines(viewer, texts, now):
        samples.extend(now - written[seq] for seq in map(seq_of, texts) if seq in written)

    group = system.viewers(calm.name, 1, on_lines)
    gevent.sleep(SETTLE["idle"])
    baseline_rss = system.rss_kib()

    def burst() -> None:
        block = "".join(f"burst {i} {'.' * 70}\n" for i in range(13_000))  # 1 MB
        with open(hot, "a") as fh:
            for _ in range(megabytes):
                fh.write(block)
                fh.flush()
                gevent.sleep(0.01)

    writer = gevent.spawn(burst)
    write_lines(calm, 0, 600, 200, written)  # 3 s at 200 lines/s, through the burst
    writer.join()
    gevent.sleep(1.0)
    grown = system.rss_kib() - baseline_rss
    stop_all(group)
    for sock in sockets:
        sock.close()
    samples.sort()
    return {
        "readers": readers,
        "burst_mb": megabytes,
        "kib_per_stalled_reader": round(grown / readers, 1),
        "calm_p50_ms": round(samples[len(samples) // 2] * 1000, 2) if samples else None,
        "calm_p99_ms": round(samples[min(len(samples) - 1, int(0.99 * len(samples)))] * 1000, 2) if samples else None,
        "calm_received_share": round(len(samples) / 600, 4),
    }
