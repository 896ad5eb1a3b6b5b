#!/usr/bin/env python3
"""Benchmark the generated service against the original flask-log-viewer 0.2.2, in one run.

    python3 bench/run.py            # the full run (a few minutes), table + bench/results/latest.json
    python3 bench/run.py --smoke    # tiny sizes, seconds: proves the benchmark still works

Both services run under gunicorn with 4 gevent workers on loopback and are
measured by the same browser-like client (bench/client.py). Figures are
measured, never asserted; a missed target is marked in the table.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("BENCH_IN_VENV"):  # re-run inside the repository's virtualenv
    sys.path.insert(0, str(ROOT / "scripts"))
    from _venv import venv_python

    python = venv_python()
    os.execve(python, [str(python), __file__, *sys.argv[1:]], os.environ | {"BENCH_IN_VENV": "1"})

from gevent import monkey  # noqa: E402

monkey.patch_all()

import argparse  # noqa: E402
import base64  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager, suppress  # noqa: E402
from dataclasses import dataclass, field, replace  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
from client import Viewer  # noqa: E402

WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results"
PASSWORD = "bench-secret"
ORIGINAL = "flask-log-viewer==0.2.2"
FRONTAIL = "frontail@4.9.2"
GUNICORN = ["-k", "gevent", "-w", "4", "--worker-connections", "8000", "--timeout", "30", "--graceful-timeout", "5"]
SYSTEMS = ("ours", "original")
SCENARIOS = (
    "latency",
    "delivery",
    "burst",
    "idle",
    "first_event",
    "stalled",
    "history",
    "search",
    "storm",
    "logrotate",
    "formats",
    "fanout",
    "throughput",
    "relay",
    "timeline",
)
# Seconds to wait for stragglers: a browser's default retry is 3 s (shortened for --smoke).
SETTLE = {"retry": 3.5, "idle": 3.0}
TARGETS = {
    "latency_1_p50_ms": 5,
    "latency_1_p99_ms": 25,
    "latency_100_p99_ms": 100,
    "delivery_200_share": 1.0,
    "delivery_200_duplicates": 0,
    "burst_lines_per_s": 300_000,
    "idle_10000_cpu_percent": 5,
    "idle_10000_kib_per_viewer": 32,
    "first_event_1gb_ms": 100,
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Until something accepts connections on the loopback ``port``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@dataclass
class System:
    """One service under test: how to start it and how to address a log."""

    name: str
    log_dir: Path
    command: list[str]
    cwd: Path
    env: dict[str, str]
    stream_path: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    host: str = "127.0.0.1"

    @property
    def headers(self) -> dict[str, str]:
        token = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
        return {"Accept": "text/event-stream", "Authorization": f"Basic {token}"}

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        output = open(WORK / f"{self.name}-gunicorn.log", "ab")  # noqa: SIM115 (kept for the process)
        self.process = subprocess.Popen(
            [*self.command, "--bind", f"{self.host}:{self.port}"],
            cwd=self.cwd,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            process_group=0,  # killed as a group; one session with the browser, so nice ranks them (autogroup)
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://{self.host}:{self.port}/logs/view/", timeout=1).close()
                break
            except urllib.error.HTTPError:
                break  # it answers (401 for ours)
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} did not start; see {output.name}") from None
                time.sleep(0.2)
        time.sleep(1.0)  # let every worker finish booting

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [self.process.pid, *map(int, children)]

    def cpu_times(self, children: bool = False) -> tuple[float, float]:
        """User and kernel time of the master and workers together, and the kernel's alone (``children``: with
        that of the processes they started and reaped)."""
        total = kernel = 0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            kernel += int(fields[12])
            if children:
                total += int(fields[13]) + int(fields[14])
                kernel += int(fields[14])
        tick = os.sysconf("SC_CLK_TCK")
        return total / tick, kernel / tick

    def cpu_seconds(self, children: bool = False) -> float:
        return self.cpu_times(children)[0]

    def rss_kib(self) -> int:
        total = 0
        for pid in self.pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total

    def viewers(self, name: str, count: int, on_lines, stagger: float = 0.0, raw: bool = False) -> list[Viewer]:
        started = []
        for i in range(count):
            viewer = Viewer((self.host, self.port), self.stream_path.format(name), self.headers, on_lines, raw)
            started.append(viewer.start())
            if stagger:
                gevent.sleep(stagger / count)
            elif i % 200 == 199:
                gevent.sleep(0.05)  # stay under the listen backlog
        return started


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


HELD_PER_PROCESS = 10_000  # viewers per client process: each process may hold about 20,000 descriptors


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
        cpu, kernel = cpu_share(system, window)
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
        **steered_figures,
    }


def steered_text(figures: dict) -> str:
    if "steered_cpu_percent" not in figures:
        return ""
    return (
        f"; with the loopback's receive path on the other core: {figures['steered_cpu_percent']}% "
        f"({figures['steered_kernel_percent']} in the kernel)"
    )


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


def formats_table(found: dict) -> str:
    """Levels and going to a time, per layout."""
    rows = [
        f"| {name} | {f['levels_ns_per_line']} | {f['levels_right_share']:.2%} | {f['at_ms']} | "
        f"{'yes' if f['at_found_the_line'] else 'NO'} |"
        for name, f in found.items()
    ]
    size = next(iter(found.values()))["file_bytes"] / 1e6 if found else 0
    head = (
        f"Formats (ours), from `--scenario formats`: levels on a burst's batches, and `?at=` in a {size:,.0f} MB file\n"
        "| layout | levels (ns a line) | levels right | `?at=` (ms, median of 5) | first line of the second |\n"
        "|---|---|---|---|---|"
    )
    return "\n".join([head, *rows])


def write_big(path: Path, size: int) -> int:
    """A log of about ``size`` bytes of 80-byte numbered lines; its size."""
    line = "seq={} a line of a big log file, padded to look like a real one ........\n"
    block = "".join(line.format(i) for i in range(10000)).encode()
    with open(path, "wb") as fh:
        for _ in range(max(1, -(-size // len(block)))):  # whole blocks, at least size
            fh.write(block)
    return path.stat().st_size


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


def history(system: System, size: int, scroll_lines: int) -> dict:
    """``P/lines`` (200 lines) at the start, middle and end of a 1 MB and a big file; then the browser's figures."""
    figures: dict = {}
    for label, total in (("1mb", 1_000_000), ("big", size)):
        path = system.log_dir / f"history-{label}.log"
        figures[f"{label}_bytes"] = written = write_big(path, total)
        connection = http.client.HTTPConnection("127.0.0.1", system.port, timeout=30)
        for where, query in (("start", "from=start&"), ("middle", f"before={written // 2}&"), ("end", "")):
            samples = []
            for _ in range(50):
                started = time.perf_counter()
                connection.request("GET", f"/logs/lines/{path.name}?{query}limit=200", headers=system.headers)
                answer = connection.getresponse()
                body = answer.read()
                samples.append(time.perf_counter() - started)
                assert answer.status == 200 and body.count(b'class="l"') == 200, (answer.status, body[:200])
            samples.sort()
            figures[f"{label}_{where}_p50_ms"] = round(samples[len(samples) // 2] * 1000, 2)
            figures[f"{label}_{where}_p99_ms"] = round(samples[int(0.99 * len(samples))] * 1000, 2)
        connection.close()
    figures.update(browser_figures("history_browser.py", system, "history-big.log", str(scroll_lines)))
    for label in ("1mb", "big"):
        (system.log_dir / f"history-{label}.log").unlink()
    figures.update(to_a_time(system, size))
    return figures


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


def to_a_time(system: System, size: int) -> dict:
    """``P/lines?from=<time>`` on a big file of records (the viewer's go-to-time): a bisection per request."""
    path = system.log_dir / "history-timed.log"
    written, seconds = write_timed(path, size)
    connection = http.client.HTTPConnection("127.0.0.1", system.port, timeout=30)
    samples = []
    for step in range(41):
        moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_795_564_800 + seconds * step // 40)) + ".5Z"
        started = time.perf_counter()
        connection.request("GET", f"/logs/lines/{path.name}?from={moment}&limit=200", headers=system.headers)
        answer = connection.getresponse()
        body = answer.read()
        samples.append(time.perf_counter() - started)
        assert answer.status == 200, (answer.status, body[:300])
    connection.close()
    path.unlink()
    samples.sort()
    return {
        "timed_bytes": written,
        "to_time_p50_ms": round(samples[len(samples) // 2] * 1000, 2),
        "to_time_max_ms": round(samples[-1] * 1000, 2),
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


def timeline_scan(system: System, size: int, appended: int) -> dict:
    """P/timeline over a GB of logging records, next to grep -c over the same bytes: the first timeline (no index
    yet; the median of 3, the index removed before each), later ones, the index's size; then ``appended`` lines
    streamed to one viewer, and the CPU of reading them into the index next to the CPU of streaming them."""
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
    later = sorted(ask()["seconds"] for _ in range(41))
    index_bytes = sum(index.stat().st_size for index in state.glob("timeline-*"))
    counted = median_of(3, lambda: grep(["grep", "-c", ""], path))
    streamed = burst(system, appended, 60, LEVELLED, path.name)
    cpu = system.cpu_seconds(children=True)
    read_on = ask()
    cpu = system.cpu_seconds(children=True) - cpu
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
        "appended_lines": appended,
        "read_on_lines": read_on["lines"] - first["lines"],
        "read_on_us_per_line": round(cpu / appended * 1e6, 3),
        "stream_us_per_line": streamed["server_us_per_line"],
        "read_on_share_of_streaming": round(cpu / appended * 1e6 / streamed["server_us_per_line"], 3)
        if streamed["server_us_per_line"]
        else None,  # too few lines for the clock's ticks (--smoke)
        "streamed_complete": streamed["complete"],
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


def median_of(runs: int, measure) -> dict:
    """``measure()`` once to warm the page cache, then ``runs`` times: the run of median seconds."""
    measure()
    return sorted((measure() for _ in range(runs)), key=lambda result: result["seconds"])[runs // 2]


def grep(command: list[str], path: Path) -> dict:
    started = time.perf_counter()
    done = subprocess.run([*command, str(path)], capture_output=True, text=True)
    return {"seconds": time.perf_counter() - started, "matches": int(done.stdout.strip() or 0)}


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


def browser_figures(script: str, system: System, *arguments: str) -> dict:
    """The JSON line a Chromium script of bench/ prints about our viewer, or its error."""
    return browser_run(script, f"http://127.0.0.1:{system.port}/logs", PASSWORD, *arguments)


def browser_run(script: str, *arguments: str) -> dict:
    """The JSON line a Chromium script of bench/ prints, or its error."""
    browser = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *arguments],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ | {"BENCH_IN_VENV": "1"},
    )
    if browser.returncode != 0:
        return {"browser_error": (browser.stdout + browser.stderr)[-2000:]}
    return json.loads(browser.stdout.strip().splitlines()[-1])


def heartbeat_floor(system: System) -> System:
    """bench/floor.py in place of ``system``: streams that only get the heartbeat, written by a bare loop."""
    floor = replace(system, name="floor", command=[sys.executable, str(ROOT / "bench" / "floor.py")], port=free_port())
    floor.start()
    return floor


def alone(system: System) -> System:
    """The same service with one worker: what one worker's searches do to its own streams."""
    log_dir = WORK / f"logs-{system.name}-1"
    command = [*system.command]
    command[command.index("-w") + 1] = "1"
    env = system.env | {"LOG_VIEWER_LOG_DIRECTORY": str(log_dir)}
    return replace(system, name=f"{system.name}-1-worker", log_dir=log_dir, command=command, env=env, port=free_port())


def prepare(smoke: bool, systems: set[str]) -> list[System]:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "cookiecutter", "--no-input", "-o", WORK, ROOT], check=True)
    ours = System(
        "ours",
        WORK / "logs-ours",
        [str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", *GUNICORN],
        WORK / "log_viewer",
        os.environ
        | {
            "LOG_VIEWER_LOG_DIRECTORY": str(WORK / "logs-ours"),
            "LOG_VIEWER_PASSWORD": PASSWORD,
            "LOG_VIEWER_LOG_LEVEL": "warning",
            "LOG_VIEWER_MAX_STREAMS": "8000",  # 20,000 idle viewers on 4 workers, however unevenly they land
            "PYTHONPATH": str(WORK / "log_viewer"),
        },
        "/logs/stream/{}",
    )
    if "original" not in systems:
        return [ours]
    original_venv = WORK / "original-venv"
    subprocess.run([sys.executable, "-m", "venv", original_venv], check=True)
    subprocess.run(
        [original_venv / "bin" / "pip", "install", "-q", "--disable-pip-version-check", ORIGINAL], check=True
    )
    (WORK / "original_app.py").write_text(
        "import os\nfrom flask import Flask\nfrom flask_log_viewer.viewer import log_viewer_blueprint\n"
        "directory = os.environ['BENCH_LOG_DIR']\napp = Flask(__name__)\n"
        "app.register_blueprint(log_viewer_blueprint(base_path=directory, allowed_directories=[directory]),"
        " url_prefix='/logs')\n"
    )
    original = System(
        "original",
        WORK / "logs-original",
        [str(original_venv / "bin" / "gunicorn"), *GUNICORN, "--log-level", "warning", "original_app:app"],
        WORK,
        os.environ | {"BENCH_LOG_DIR": str(WORK / "logs-original")},
        "/logs/stream_log/{}",
    )
    return [s for s in (ours, original) if s.name in systems]


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


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


def storm(lines: int, viewers: int, kills: int, handler_backups: int | None = None) -> dict:
    """The generated suite's rotation storm (its tests/storm.py) at this size: what every viewer got.

    Our own rotations of every kind; or, with ``handler_backups``, a ``RotatingFileHandler`` keeping that
    many files, rolled over about every 0.8 s, with viewers away up to 2.5 s at a time.
    """
    sys.path[:0] = [str(WORK / "log_viewer"), str(WORK / "log_viewer" / "tests")]
    from storm import run_storm

    with scratch_logs("storm") as scratch:
        found = run_storm(
            scratch / "logs", scratch / "state", lines, viewers, kills, seed=20261126, handler_backups=handler_backups
        )
        return found.totals()


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


def logrotate_storms(lines: int, viewers: int, kills: int, configurations: int | None) -> dict:
    """The storm through the real logrotate (the suite's tests/logrotate.py), once per configuration.

    Per configuration: lines on disk that a viewer never got (lost by the viewers), lines written that were
    not on disk at the end (lost by logrotate: deleted files, copytruncate's window), repeats, reorders.
    """
    sys.path[:0] = [str(WORK / "log_viewer"), str(WORK / "log_viewer" / "tests")]
    from logrotate import MATRIX
    from storm import run_storm

    figures = {}
    for config in MATRIX[:configurations]:
        with scratch_logs("storm-logrotate") as scratch:
            found = run_storm(scratch / "logs", scratch / "state", lines, viewers, kills, 20261204, logrotate=config)
            totals = found.totals()
        figures[config.name] = {
            "lost_by_viewers": totals["lost"],
            "lost_by_logrotate": totals["lost_by_logrotate"],
            "repeated": totals["repeated"],
            "out_of_order": totals["out_of_order"],
            "rotations": sum(totals["rotations"].values()),
            "resets": totals["resets"],
            "seconds": totals["seconds"],
            "errors": totals["errors"],
        }
        print("logrotate storm", config.name, figures[config.name], flush=True)
    return {"lines": lines, "viewers": viewers, "kills": kills, "configurations": figures}


def logrotate_table(found: dict) -> str:
    """The storms through the real logrotate, a row per configuration."""
    head = (
        f"Rotation storms through the real logrotate: {found['lines']:,} lines to {found['viewers']} viewers "
        f"each, {found['kills']} workers killed\n"
        "| configuration | rotations | lost by viewers | lost by logrotate | repeated | out of order | resets |\n"
        "|---|---|---|---|---|---|---|"
    )
    rows = [
        f"| {name} | {f['rotations']} | {f['lost_by_viewers']} | {f['lost_by_logrotate']} | {f['repeated']} "
        f"| {f['out_of_order']} | {f['resets']} |"
        for name, f in found["configurations"].items()
    ]
    return "\n".join([head, *rows])


def relay(system: System, seconds: float, rate: int, cpu_seconds: float, burst_lines: int) -> dict:
    """One log on node B, followed from B itself and through node A (``@node-b/``) at once.

    Lateness at 20 lines/s for each, then, at ``rate`` lines/s, the CPU of node A
    (which only relays that one stream) and of node B (which serves both), per
    1,000 lines/s; last, a burst to one viewer through A and one of B itself.
    """
    nodes = {}
    for name, host in (("node-b", "127.0.0.2"), ("node-a", "127.0.0.1")):
        log_dir = WORK / f"logs-{name}"
        log_dir.mkdir(parents=True, exist_ok=True)
        peers = {"LOG_VIEWER_PEERS": f"127.0.0.2:{nodes['node-b'].port}"} if nodes else {}
        env = system.env | {"LOG_VIEWER_LOG_DIRECTORY": str(log_dir), "LOG_VIEWER_NODE_NAME": name} | peers
        nodes[name] = replace(system, name=name, log_dir=log_dir, env=env, host=host, port=free_port(), process=None)
    b, a = nodes["node-b"], nodes["node-a"]
    log = b.log_dir / "relay.log"
    log.touch()
    written: dict[int, float] = {}
    samples: dict[str, list[float]] = {"direct": [], "relayed": []}
    counts: dict[str, set[int]] = {"direct": set(), "relayed": set()}

    def collect(kind: str):
        def on_lines(viewer, texts, now):
            for seq in map(seq_of, texts):
                if seq is not None:
                    counts[kind].add(seq)
                    if seq < 1_000_000 and seq in written:
                        samples[kind].append(now - written[seq])

        return on_lines

    try:
        b.start()
        a.start()
        viewers = [
            Viewer((b.host, b.port), "/logs/stream/relay.log", b.headers, collect("direct")).start(),
            Viewer((a.host, a.port), "/logs/stream/@node-b/relay.log", a.headers, collect("relayed")).start(),
        ]
        for viewer in viewers:
            viewer.connected.wait(10)
        gevent.sleep(1.0)
        write_lines(log, 0, int(20 * seconds), 20, written)
        gevent.sleep(1.0)
        before = {"a": a.cpu_seconds(), "b": b.cpu_seconds()}
        started = time.monotonic()
        lines = int(rate * cpu_seconds)
        write_lines(log, 1_000_000, 1_000_000 + lines, rate, {})
        gevent.sleep(0.5)
        wall = time.monotonic() - started
        per_thousand = {
            key: (cpu - before[key]) / wall * 100 / (rate / 1000)
            for key, cpu in (("a", a.cpu_seconds()), ("b", b.cpu_seconds()))
        }
        stop_all(viewers)
        through = replace(a, log_dir=b.log_dir, stream_path="/logs/stream/@node-b/{}")
        bursts = {
            "relayed_burst": burst(through, burst_lines, 60, name="relayed-burst.log"),
            "direct_burst": burst(b, burst_lines, 60, name="direct-burst.log"),
        }
    finally:
        a.stop()
        b.stop()
    direct, relayed = percentiles(samples["direct"]), percentiles(samples["relayed"])
    fast = {kind: len([seq for seq in seen if seq >= 1_000_000]) for kind, seen in counts.items()}
    return {
        "direct": direct,
        "relayed": relayed,
        "added_p50_ms": round(relayed["p50_ms"] - direct["p50_ms"], 2) if samples["relayed"] else None,
        "added_p99_ms": round(relayed["p99_ms"] - direct["p99_ms"], 2) if samples["relayed"] else None,
        "rate": rate,
        "relay_cpu_percent_per_1000_lines_s": round(per_thousand["a"], 2),
        "source_cpu_percent_per_1000_lines_s_two_streams": round(per_thousand["b"], 2),
        "received_at_rate": {kind: round(count / lines, 4) for kind, count in fast.items()},
    } | bursts


def run(smoke: bool, systems: set[str], scenarios: set[str]) -> dict:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:  # 20,000 viewers' sockets here, and the servers inherit it (root may raise the hard limit)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, 65536), max(hard, 65536)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sizes = {
        "latency_seconds": 1 if smoke else 10,
        "latency_viewers": (1,) if smoke else (1, 100),
        "delivery": (3,) if smoke else (3, 200),
        "delivery_lines": 100 if smoke else 2000,
        "burst": 2000 if smoke else 200_000,
        "burst_million": 20_000 if smoke else 1_000_000,  # ours alone: the original takes minutes
        "idle": (10,) if smoke else (1000, 10_000),
        "idle_ours": () if smoke else (20_000,),  # the original would reconnect 20,000 times a second
        # Two heartbeat periods: every idle stream sends its 15 s comment twice in the window.
        "idle_window": 1 if smoke else 30,
        "big": 10_000_000 if smoke else 1_000_000_000,
        "stalled": (20, 4) if smoke else (300, 47),  # readers, MB of burst (the slow-clients issue's case)
        "scroll_back": 2000 if smoke else 100_000,
        "gz": 2_000_000 if smoke else 300_000_000,
        "storm": (1500, 3, 1) if smoke else (20_000, 10, 8),  # lines, viewers, worker kills
        "storm_handler": (1500, 3, 1) if smoke else (20_000, 30, 2),  # the same, RotatingFileHandler(backupCount=3)
        # lines, viewers, worker kills, configurations (None: all of tests/logrotate.py's)
        "logrotate": (800, 2, 1, 1) if smoke else (20_000, 10, 2, None),
        # lines/s (0: the page alone, what the machine does to its frames), seconds each; then the last rate this long
        "throughput": ((0, 10_000), 2, 3) if smoke else ((0, 10_000, 30_000, 60_000, 100_000), 20, 60),
        # seconds at 20 lines/s; lines/s and seconds for CPU; a burst's lines
        "relay": (1, 500, 1, 2000) if smoke else (20, 2000, 15, 200_000),
        "formats": (2000, 2_000_000) if smoke else (200_000, 1_000_000_000),  # burst lines, big file bytes
        "timeline_appended": 2000 if smoke else 200_000,  # lines streamed, then read into the index
        # (viewers, lines/s, lines per write) each for so many seconds
        "fanout": (((1, 1000, 1),), 1)
        if smoke
        else (
            ((1, 10_000, 100), (1, 10_000, 1), (10, 10_000, 1), (100, 1000, 1), (100, 10_000, 100), (100, 10_000, 1)),
            9,
        ),
    }
    results: dict = {"machine": machine(), "smoke": smoke, "sizes": sizes, "systems": {}}
    for system in prepare(smoke, systems):
        system.start()
        try:
            figures = results["systems"][system.name] = {}
            for viewers in sizes["latency_viewers"] if "latency" in scenarios else ():
                figures[f"latency_{viewers}"] = latency(system, viewers, sizes["latency_seconds"])
                print(system.name, f"latency_{viewers}", figures[f"latency_{viewers}"], flush=True)
            for viewers in sizes["delivery"] if "delivery" in scenarios else ():
                figures[f"delivery_{viewers}"] = delivery(system, viewers, sizes["delivery_lines"])
                print(system.name, f"delivery_{viewers}", figures[f"delivery_{viewers}"], flush=True)
            if "burst" in scenarios:
                figures["burst"] = burst(system, sizes["burst"], timeout=10 if smoke else 60)
                print(system.name, "burst", figures["burst"], flush=True)
            if "burst" in scenarios and system.name == "ours":
                runs = [burst(system, sizes["burst_million"], timeout=10 if smoke else 60) for _ in range(5)]
                figures["burst_million"] = sorted(runs, key=lambda run: run["seconds"])[2]  # the median run
                figures["burst_million"]["runs_lines_per_s"] = [run["lines_per_s"] for run in runs]
                print(system.name, "burst_million", figures["burst_million"], flush=True)
            if "burst" in scenarios and system.name == "ours":  # levels: records, and their cost per line
                figures["burst_levelled"] = burst(system, sizes["burst"], 10 if smoke else 60, LEVELLED)
                figures["burst_levelled"]["levels_ns_per_line"] = levels_cost(sizes["burst"], LEVELLED)
                figures["burst"]["levels_ns_per_line"] = levels_cost(sizes["burst"], PLAIN)
                print(system.name, "burst_levelled", figures["burst_levelled"], flush=True)
            idle_sizes = sizes["idle"] + (sizes["idle_ours"] if system.name == "ours" else ())
            for viewers in idle_sizes if "idle" in scenarios else ():
                system.stop()  # a fresh server: memory the last scenario left in the workers is no viewer's
                system.start()
                steered = not smoke and viewers == max(idle_sizes)
                figures[f"idle_{viewers}"] = idle(system, viewers, sizes["idle_window"], steered)
                print(system.name, f"idle_{viewers}", figures[f"idle_{viewers}"], flush=True)
            if "idle" in scenarios and system.name == "ours":  # the heartbeats alone, from a bare loop
                viewers, floor = max(idle_sizes), heartbeat_floor(system)
                try:
                    figures[f"idle_floor_{viewers}"] = idle(floor, viewers, sizes["idle_window"], not smoke)
                finally:
                    floor.stop()
                print("floor", f"idle_{viewers}", figures[f"idle_floor_{viewers}"], flush=True)
            if "stalled" in scenarios and system.name == "ours":  # the original holds no stream to stall
                figures["stalled"] = stalled(system, *sizes["stalled"])
                print(system.name, "stalled", figures["stalled"], flush=True)
            if "throughput" in scenarios and system.name == "ours":
                figures["throughput"] = throughput(system, *sizes["throughput"])
                print(system.name, "throughput", figures["throughput"], flush=True)
            if "history" in scenarios and system.name == "ours":  # the original reads no history
                figures["history"] = history(system, sizes["big"], sizes["scroll_back"])
                print(system.name, "history", figures["history"], flush=True)
            if "fanout" in scenarios and system.name == "ours":
                figures["fanout"] = fanout(system, *sizes["fanout"])
            if "first_event" in scenarios:
                figures["first_event"] = first_event(system, sizes["big"])
                print(system.name, "first_event", figures["first_event"], flush=True)
        finally:
            system.stop()
        if "search" in scenarios and system.name == "ours":  # the original has no search
            solo = alone(system)
            solo.start()
            try:
                results["systems"][system.name]["search"] = search_scan(solo, sizes["big"], sizes["gz"])
                print(system.name, "search", results["systems"][system.name]["search"], flush=True)
            finally:
                solo.stop()
        if "timeline" in scenarios and system.name == "ours":  # its indexes in a state directory of its own
            kept = replace(
                system,
                name=f"{system.name}-indexed",
                env=system.env | {"LOG_VIEWER_STATE_DIRECTORY": str(WORK / f"state-{system.name}")},
                port=free_port(),
            )
            kept.start()
            try:
                results["systems"][system.name]["timeline"] = timeline_scan(
                    kept, sizes["big"], sizes["timeline_appended"]
                )
                print(system.name, "timeline", results["systems"][system.name]["timeline"], flush=True)
            finally:
                kept.stop()
        if "relay" in scenarios and system.name == "ours":  # two nodes of its own
            results["systems"][system.name]["relay"] = relay(system, *sizes["relay"])
            print(system.name, "relay", results["systems"][system.name]["relay"], flush=True)
        if "storm" in scenarios and system.name == "ours":  # a server of its own, its workers killed
            results["systems"][system.name]["storm"] = storm(*sizes["storm"])
            print(system.name, "storm", results["systems"][system.name]["storm"], flush=True)
            results["systems"][system.name]["storm_handler"] = storm(*sizes["storm_handler"], handler_backups=3)
            print(system.name, "storm_handler", results["systems"][system.name]["storm_handler"], flush=True)
        if "formats" in scenarios and system.name == "ours":  # no server: the recognition itself
            results["systems"][system.name]["formats"] = formats(*sizes["formats"])
        if "logrotate" in scenarios and system.name == "ours":  # a server of its own per configuration
            results["systems"][system.name]["logrotate"] = logrotate_storms(*sizes["logrotate"])
    return results


def table(results: dict) -> str:
    ours, original = results["systems"]["ours"], results["systems"]["original"]
    sizes = results["sizes"]
    lat = sizes["latency_viewers"]
    dlv = sizes["delivery"]
    idl = sizes["idle"]
    rows = [
        (f"latency p50, {lat[0]} viewer (ms)", "latency_1_p50_ms", lambda f: f[f"latency_{lat[0]}"]["p50_ms"]),
        (f"latency p99, {lat[0]} viewer (ms)", "latency_1_p99_ms", lambda f: f[f"latency_{lat[0]}"]["p99_ms"]),
        (f"latency p50, {lat[-1]} viewers (ms)", None, lambda f: f[f"latency_{lat[-1]}"]["p50_ms"]),
        (f"latency p99, {lat[-1]} viewers (ms)", "latency_100_p99_ms", lambda f: f[f"latency_{lat[-1]}"]["p99_ms"]),
        (f"lines received, {lat[-1]} viewers (share)", None, lambda f: f[f"latency_{lat[-1]}"]["received_share"]),
        (f"delivery, {dlv[0]} viewers (mean share)", None, lambda f: f[f"delivery_{dlv[0]}"]["mean_share"]),
        (
            f"delivery, {dlv[-1]} viewers (mean share)",
            "delivery_200_share",
            lambda f: f[f"delivery_{dlv[-1]}"]["mean_share"],
        ),
        (f"duplicates, {dlv[-1]} viewers", "delivery_200_duplicates", lambda f: f[f"delivery_{dlv[-1]}"]["duplicates"]),
        (f"burst of {sizes['burst']:,} lines (lines/s)", "burst_lines_per_s", lambda f: f["burst"]["lines_per_s"]),
        ("burst complete", None, lambda f: f["burst"]["complete"]),
        (f"idle {idl[0]:,} viewers: CPU (% of a core)", None, lambda f: f[f"idle_{idl[0]}"]["cpu_percent_of_one_core"]),
        (
            f"idle {idl[-1]:,} viewers: CPU (% of a core)",
            "idle_10000_cpu_percent",
            lambda f: f[f"idle_{idl[-1]}"]["cpu_percent_of_one_core"],
        ),
        (
            f"idle {idl[-1]:,} viewers: KiB per viewer",
            "idle_10000_kib_per_viewer",
            lambda f: f[f"idle_{idl[-1]}"]["kib_per_viewer"],
        ),
        (f"idle {idl[-1]:,} viewers: streams held", None, lambda f: f[f"idle_{idl[-1]}"]["connected"]),
        (f"first event, {sizes['big'] / 1e9:g} GB log (ms)", "first_event_1gb_ms", lambda f: f["first_event"]["ms"]),
    ]
    lower_is_better = {
        "latency_1_p50_ms",
        "latency_1_p99_ms",
        "latency_100_p99_ms",
        "delivery_200_duplicates",
        "idle_10000_cpu_percent",
        "idle_10000_kib_per_viewer",
        "first_event_1gb_ms",
    }
    lines = ["| measure | ours | original | ratio | target |", "|---|---|---|---|---|"]
    for label, target_key, get in rows:
        a, b = get(ours), get(original)
        ratio = f"{b / a:.3g}x" if isinstance(a, int | float) and isinstance(b, int | float) and a and b else "-"
        target = ""
        if target_key and not results["smoke"]:
            goal = TARGETS[target_key]
            met = a is not None and (a <= goal if target_key in lower_is_better else a >= goal)
            target = f"{'≤' if target_key in lower_is_better else '≥'} {goal:,}: {'met' if met else 'MISSED'}"
        lines.append(f"| {label} | {a} | {b} | {ratio} | {target} |")
    return "\n".join(lines)


def history_table(f: dict, scrolled: int) -> str:
    """History (ours only): ``P/lines`` at three places in a small and a big file, and the browser's figures."""
    if "browser_error" in f:
        return "History: the browser part failed:\n" + f["browser_error"]
    big = f"{f['big_bytes'] / 1e9:.2f} GB" if f["big_bytes"] >= 1e8 else f"{f['big_bytes'] / 1e6:.0f} MB"
    worst = max(f[f"big_{w}_p50_ms"] / f[f"1mb_{w}_p50_ms"] for w in ("start", "middle", "end"))
    slowest = max(f[f"{s}_{w}_p50_ms"] for s in ("1mb", "big") for w in ("start", "middle", "end"))
    lines = [
        f"| P/lines, 200 lines (p50 / p99 ms) | 1 MB | {big} |",
        "|---|---|---|",
        *(
            f"| {where} | {f[f'1mb_{where}_p50_ms']} / {f[f'1mb_{where}_p99_ms']} "
            f"| {f[f'big_{where}_p50_ms']} / {f[f'big_{where}_p99_ms']} |"
            for where in ("start", "middle", "end")
        ),
        "",
        f"Big vs 1 MB, worst p50 ratio {worst:.2f}x (target within 2x: {'met' if worst <= 2 else 'MISSED'}); "
        f"slowest p50 {slowest} ms (target under 5 ms: {'met' if slowest < 5 else 'MISSED'}).",
        f"Go to a time (P/lines?from=<time>, 200 lines) in a {f['timed_bytes'] / 1e9:.2f} GB file of records: "
        f"p50 {f['to_time_p50_ms']} ms, worst of 41 {f['to_time_max_ms']} ms "
        f"(target under 50 ms: {'met' if f['to_time_max_ms'] < 50 else 'MISSED'}).",
        f"Chromium, jump to line 1 of the {big} file: p50 {f['to_line_1_p50_ms']} ms, worst {f['to_line_1_max_ms']} ms "
        f"(target under 300 ms: {'met' if f['to_line_1_max_ms'] < 300 else 'MISSED'}).",
        f"Chromium, after scrolling back {scrolled:,} lines: {f['elements_after']:,} line elements "
        f"(target under 10,000: {'met' if f['elements_after'] < 10_000 else 'MISSED'}), JS heap "
        f"{f['heap_mb_before']} MB before, {' / '.join(str(h) for h in f['heap_mb_during'])} MB along the way.",
    ]
    return "\n".join(lines)


def timeline_line(f: dict) -> str:
    return (
        f"Timeline (ours), {f['bytes'] / 1e6:,.0f} MB of logging records ({f['lines']:,} lines; grep -c '' counts "
        f"{f['grep_lines']:,} in {f['grep_seconds']} s): the first in {f['first_seconds']} s ({f['first_mb_per_s']:,} "
        f"MB/s; target 2 s), later ones p50 {f['later_p50_ms']} ms, max {f['later_max_ms']} ms (target 20 ms); "
        f"the index {f['index_kib']:,} KiB, {f['index_kib_per_gb']:,} KiB per GB (target 1,024); "
        f"{f['appended_lines']:,} lines appended ({f['read_on_lines']:,} counted) cost {f['read_on_us_per_line']} µs "
        f"of CPU a line to read on against {f['stream_us_per_line']} µs to stream to one viewer "
        f"({f['read_on_share_of_streaming'] or 0:.1%}; target 2%)"
    )


def levels_line(f: dict) -> str:
    """What recognising levels costs a burst: its time per line against the burst's time per line."""
    parts = []
    for label, key in (("lines without a level", "burst"), ("logging records", "burst_levelled")):
        rate, cost = f[key]["lines_per_s"], f[key]["levels_ns_per_line"]
        share = cost / (1e9 / rate) if rate else float("nan")
        parts.append(f"{label}: {rate:,} lines/s, levels {cost} ns a line ({share:.1%} of a line's time)")
        if key == "burst_levelled":
            target = f"target at most 10%: {'met' if share <= 0.10 else 'MISSED'}"
    return f"Levels (ours), bursts of {f['burst']['lines']:,}: " + "; ".join(parts) + f" ({target})."


def search_table(f: dict) -> str:
    """Search (ours only, one gunicorn worker): MB/s next to grep and zgrep, first match, streams meanwhile."""
    if "browser_error" in f:
        return "Search: the browser part failed:\n" + f["browser_error"]
    lines = [
        f"| search, {f['big_bytes'] / 1e9:.2f} GB in the page cache | ours (MB/s) | tool | tool (MB/s) | x | matches |",
        "|---|---|---|---|---|---|",
    ]
    for label, row in f["searches"].items():
        same = (
            "same" if row["ours_matches"] == row["tool_matches"] else f"{row['ours_matches']} vs {row['tool_matches']}"
        )
        lines.append(
            f"| {label} | {row['ours_mb_per_s']:,} | {row['tool']} | {row['tool_mb_per_s']:,} "
            f"| {row['ours_mb_per_s'] / row['tool_mb_per_s']:.1f} | {same} |"
        )
    slowest = min(row["ours_mb_per_s"] / row["tool_mb_per_s"] for row in f["searches"].values())

    def met(yes: bool) -> str:
        return "met" if yes else "MISSED"

    lines += [
        "",
        f"Slowest against grep: {slowest:.1f}x its speed (target at least 1x: {met(slowest >= 1)}).",
        f"First match near the start of the file: {f['first_match_p50_ms']} ms p50, {f['first_match_max_ms']} ms "
        f"worst over HTTP; on screen in Chromium (on the same two cores) {f['first_match_screen_p50_ms']} ms p50, "
        f"{f['first_match_screen_p90_ms']} ms p90 (target under 100 ms: {met(f['first_match_screen_p90_ms'] < 100)}), "
        f"{f['first_match_screen_max_ms']} ms the worst of 20.",
        f"A live stream on the same worker (200 lines/s): p50 {f['stream_quiet_p50_ms']} ms / p99 "
        f"{f['stream_quiet_p99_ms']} ms with no search; p50 {f['stream_searching_p50_ms']} ms / p99 "
        f"{f['stream_searching_p99_ms']} ms during {f['searches_during']} back-to-back full scans with a regex "
        f"without literal ({f['hard_regex_mb_per_s']:,} MB/s); {f['stream_searching_share']:.0%} of its lines.",
    ]
    return "\n".join(lines)


def throughput_table(f: dict) -> str:
    if "browser_error" in f:
        return f"Throughput in Chromium: {f['browser_error']}"
    lines = [
        "| page | lines/s (80 bytes) | newest on screen p50 / p99 (ms) | worst frame gap (ms) | gaps over 50 ms "
        "| heap max (MB) | elements |",
        "|---|---|---|---|---|---|---|",
    ]
    theirs = f.get("frontail", {})
    rows = [("ours", row) for row in f["rates"]] + [("frontail", row) for row in theirs.get("rates", [])]
    for page, row in rows:
        lines.append(
            f"| {page} | {row['rate']:,} | {row['newest_on_screen_p50_ms']} / {row['newest_on_screen_p99_ms']} "
            f"| {row['worst_frame_gap_ms']} | {row['frame_gaps_over_50_ms']} | {row['heap_max_mb']} "
            f"| {row['elements']} |"
        )
    if "browser_error" in theirs:
        lines.append(f"\nfrontail: {theirs['browser_error']}")
    long = f.get("long", {})
    for row in long.get("rates", []):
        lines.append(
            f"\nOurs for {row['seconds']:g} s at {row['rate']:,} lines/s: newest on screen "
            f"{row['newest_on_screen_p50_ms']} / {row['newest_on_screen_p99_ms']} ms, worst frame gap "
            f"{row['worst_frame_gap_ms']} ms, {row['worst_frame_gap_at_s']} s in "
            f"({row['frame_gaps_over_50_ms']} over 50 ms), heap max "
            f"{row['heap_max_mb']} MB, at the end {row['heap_end_mb']} MB (target under 50 MB over a minute)"
        )
    if "browser_error" in long:
        lines.append(f"\nThe long run: {long['browser_error']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds per system")
    parser.add_argument("--system", choices=SYSTEMS, action="append", help="only this system (repeatable)")
    parser.add_argument("--scenario", choices=SCENARIOS, action="append", help="only this scenario (repeatable)")
    args = parser.parse_args()
    systems, scenarios = set(args.system or SYSTEMS), set(args.scenario or SCENARIOS)
    partial = systems != set(SYSTEMS) or scenarios != set(SCENARIOS)
    if args.smoke:
        SETTLE.update(retry=0.5, idle=0.5)
    started = time.monotonic()
    results = run(args.smoke, systems, scenarios)
    results["seconds"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / ("smoke.json" if args.smoke else "partial.json" if partial else "latest.json")
    target.write_text(json.dumps(results, indent=2) + "\n")
    m = results["machine"]
    print(
        f"\nMachine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"Python {m['python']}; run took {results['seconds']} s"
    )
    print("ratio = original / ours\n")
    if not partial:
        print(table(results))
    if "stalled" in results["systems"].get("ours", {}):
        f = results["systems"]["ours"]["stalled"]
        print(
            f"\nSlow clients (ours): {f['readers']} readers that never read, a {f['burst_mb']} MB burst to their file: "
            f"{f['kib_per_stalled_reader']} KiB per stalled reader; a calm viewer of another file: "
            f"p50 {f['calm_p50_ms']} ms, p99 {f['calm_p99_ms']} ms, {f['calm_received_share']:.0%} of its lines"
        )
    for viewers in results["sizes"]["idle"] + results["sizes"]["idle_ours"]:
        f = results["systems"].get("ours", {}).get(f"idle_{viewers}")
        if f:
            print(
                f"\nIdle (ours), {viewers:,} viewers on a fresh server: {f['cpu_percent_of_one_core']}% of a core "
                f"({f['kernel_percent_of_one_core']} of it in the kernel), {f['kib_per_viewer']} KiB per viewer "
                f"(targets at 20,000: 2% and 24 KiB)" + steered_text(f)
            )
        f = results["systems"].get("ours", {}).get(f"idle_floor_{viewers}")
        if f:
            print(
                f"The heartbeats alone to the same {viewers:,} viewers, from a bare loop of os.write (bench/floor.py): "
                f"{f['cpu_percent_of_one_core']}% of a core ({f['kernel_percent_of_one_core']} in the kernel)"
                + steered_text(f)
            )
    if "burst_million" in results["systems"].get("ours", {}):
        f = results["systems"]["ours"]["burst_million"]
        print(
            f"\nBurst to one viewer (ours), the median of 5: {f['lines']:,} lines in {f['seconds']} s, "
            f"{f['lines_per_s']:,} lines/s (target 1,000,000), {'complete' if f['complete'] else 'INCOMPLETE'}, "
            f"{f['server_us_per_line']} µs of server CPU a line; all 5: "
            + ", ".join(f"{rate:,}" for rate in f.get("runs_lines_per_s", []))
        )
    if "timeline" in results["systems"].get("ours", {}):
        print("\n" + timeline_line(results["systems"]["ours"]["timeline"]))
    if "relay" in results["systems"].get("ours", {}):
        f = results["systems"]["ours"]["relay"]
        print(
            f"\nRelay (ours): a stream of node B through node A adds {f['added_p50_ms']} ms p50, "
            f"{f['added_p99_ms']} ms p99 (direct {f['direct']['p50_ms']} / {f['direct']['p99_ms']} ms, relayed "
            f"{f['relayed']['p50_ms']} / {f['relayed']['p99_ms']} ms); node A spends "
            f"{f['relay_cpu_percent_per_1000_lines_s']}% of a core per 1,000 lines/s relayed "
            f"(at {f['rate']:,} lines/s; node B, serving both streams, "
            f"{f['source_cpu_percent_per_1000_lines_s_two_streams']}%); a burst of {f['relayed_burst']['lines']:,} "
            f"lines through node A: {f['relayed_burst']['lines_per_s']:,} lines/s "
            f"(from node B itself: {f['direct_burst']['lines_per_s']:,})"
        )
    if "burst_levelled" in results["systems"].get("ours", {}):
        print("\n" + levels_line(results["systems"]["ours"]))
    if "history" in results["systems"].get("ours", {}):
        print("\n" + history_table(results["systems"]["ours"]["history"], results["sizes"]["scroll_back"]))
    if "search" in results["systems"].get("ours", {}):
        print("\n" + search_table(results["systems"]["ours"]["search"]))
    if "throughput" in results["systems"].get("ours", {}):
        print("\n" + throughput_table(results["systems"]["ours"]["throughput"]))
    if "storm" in results["systems"].get("ours", {}):
        f = results["systems"]["ours"]["storm"]
        kinds = ", ".join(f"{count} {kind}" for kind, count in f["rotations"].items())
        print(
            f"\nRotation storm (ours): {f['lines']:,} numbered lines to {f['viewers']} viewers in {f['seconds']} s; "
            f"{sum(f['rotations'].values())} rotations ({kinds}); {f['kills']} workers killed; "
            f"{f['reconnects']} resumes with a cursor. Lost {f['lost']}, repeated {f['repeated']}, "
            f"out of order {f['out_of_order']}; {f['gone_with_deleted_files']:,} were in a file deleted before the "
            f"viewer's stream reached it ({f['gone_with_files_deleted_while_away']:,} while the viewer was away)."
        )
    if "storm_handler" in results["systems"].get("ours", {}):
        f = results["systems"]["ours"]["storm_handler"]
        print(
            f"\nRotation storm, RotatingFileHandler(backupCount=3) (ours): {f['lines']:,} lines to {f['viewers']} "
            f"viewers away up to 2.5 s at a time, {sum(f['rotations'].values())} rollovers, {f['kills']} workers "
            f"killed, {f['resets']} resumes after the cursor's file was deleted. Lost {f['lost']}, repeated "
            f"{f['repeated']}, out of order {f['out_of_order']}; {f['gone_with_deleted_files']:,} deliveries were "
            f"in a file deleted before the viewer's stream reached it."
        )
    if "formats" in results["systems"].get("ours", {}):
        print("\n" + formats_table(results["systems"]["ours"]["formats"]))
    if "logrotate" in results["systems"].get("ours", {}):
        print("\n" + logrotate_table(results["systems"]["ours"]["logrotate"]))
    print(f"\nfigures: {target}")


if __name__ == "__main__":
    main()
