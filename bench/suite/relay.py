"""Scenario of several nodes: a stream relayed through another node."""

from __future__ import annotations

import time
from dataclasses import replace

import gevent
import gevent.event
from client import Viewer

from .streaming import burst
from .systems import WORK, System, free_port
from .workloads import percentiles, seq_of, stop_all, write_lines


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
