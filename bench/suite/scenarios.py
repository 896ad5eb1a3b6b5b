"""Every scenario, declared once: what it measures, on which systems, its sizes, its rows and targets, its report.

A run (``run.py``) takes the scenarios in this order: first those that run on
a system's own server (started once per system), then those that start what
they need themselves. What a scenario measures goes into the system's figures
under the keys it returns (``bench/results/*.json``); its ``rows`` go into the
main table (ours next to the original, with the targets); its ``report`` is
printed after the table. Adding a figure is adding to its scenario here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from . import report
from .formats import formats, levels_cost
from .idle import fanout, idle, stalled
from .reading import history, merged_read, search_scan, timeline_scan
from .relay import relay
from .rotation import logrotate_storms, storm
from .streaming import burst, delivery, first_event, latency, throughput
from .systems import SYSTEMS, WORK, System, alone, free_port, heartbeat_floor
from .workloads import LEVELLED, PLAIN


def sizes_of(smoke: bool) -> dict:
    """Each scenario's sizes: tiny for ``--smoke`` (seconds), else the full run's."""
    return {
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
        # seconds at 20 lines/s; lines/s and seconds for CPU (many of the clock's 10 ms ticks); a burst's lines
        "relay": (1, 2000, 2, 2000) if smoke else (20, 2000, 15, 200_000),
        "formats": (2000, 2_000_000) if smoke else (200_000, 1_000_000_000),  # burst lines, big file bytes
        "timeline_appended": 2000 if smoke else 400_000,  # lines streamed, then read into the index (each of 4 times)
        "merged_live": ("10000", "2") if smoke else ("30000,100000", "20"),  # lines/s of three files together, s each
        # (viewers, lines/s, lines per write) each for so many seconds
        "fanout": (((1, 1000, 1),), 1)
        if smoke
        else (
            ((1, 10_000, 100), (1, 10_000, 1), (10, 10_000, 1), (100, 1000, 1), (100, 10_000, 100), (100, 10_000, 1)),
            9,
        ),
    }


@dataclass
class Run:
    """What a scenario measures with: the system, the sizes, whether a smoke run, the system's figures so far."""

    system: System
    sizes: dict
    smoke: bool
    figures: dict


@dataclass(frozen=True)
class Row:
    """One row of the main table, ours next to the original: its label, its figure, its target."""

    label: Callable[[dict], str]  # from the sizes
    value: Callable[[dict, dict], object]  # from a system's figures and the sizes
    target: float | None = None
    lower_is_better: bool = True


@dataclass(frozen=True)
class Scenario:
    """A scenario (``name``, as ``--scenario`` chooses it) or one part of it."""

    name: str
    measure: Callable[[Run], dict]  # the figures it adds, by key
    systems: tuple[str, ...] = ("ours",)  # the original has no history, search, levels...
    on_server: bool = True  # False: it starts the servers it needs, after the system's own has stopped
    rows: tuple[Row, ...] = ()
    report: Callable[[dict, dict], str] | None = None  # from ours' figures (all of them) and the sizes


def _latency(run: Run) -> dict:
    return {f"latency_{n}": latency(run.system, n, run.sizes["latency_seconds"]) for n in run.sizes["latency_viewers"]}


def _delivery(run: Run) -> dict:
    return {f"delivery_{n}": delivery(run.system, n, run.sizes["delivery_lines"]) for n in run.sizes["delivery"]}


def _timeout(run: Run) -> float:
    return 10 if run.smoke else 60


def _burst_million(run: Run) -> dict:
    runs = [burst(run.system, run.sizes["burst_million"], timeout=_timeout(run)) for _ in range(5)]
    median = sorted(runs, key=lambda one: one["seconds"])[2]
    return {"burst_million": median | {"runs_lines_per_s": [one["lines_per_s"] for one in runs]}}


def _burst_levelled(run: Run) -> dict:
    """Levels: a burst of records, and what recognising levels costs a line of each burst."""
    levelled = burst(run.system, run.sizes["burst"], _timeout(run), LEVELLED)
    levelled["levels_ns_per_line"] = levels_cost(run.sizes["burst"], LEVELLED)
    run.figures["burst"]["levels_ns_per_line"] = levels_cost(run.sizes["burst"], PLAIN)
    return {"burst_levelled": levelled}


def _idle_counts(run: Run) -> tuple[int, ...]:
    """How many idle viewers, in turn: ours also the largest count (the original would reconnect them all)."""
    return run.sizes["idle"] + (run.sizes["idle_ours"] if run.system.name == "ours" else ())


def _idle(run: Run) -> dict:
    found = {}
    counts = _idle_counts(run)
    for viewers in counts:
        run.system.stop()  # a fresh server: memory the last scenario left in the workers is no viewer's
        run.system.start()
        steered = not run.smoke and viewers == max(counts)
        found[f"idle_{viewers}"] = idle(run.system, viewers, run.sizes["idle_window"], steered)
    return found


def _idle_floor(run: Run) -> dict:
    """The heartbeats alone, from a bare loop, to as many viewers as the largest idle count."""
    viewers, floor = max(_idle_counts(run)), heartbeat_floor(run.system)
    try:
        return {f"idle_floor_{viewers}": idle(floor, viewers, run.sizes["idle_window"], not run.smoke)}
    finally:
        floor.stop()


def _search(run: Run) -> dict:
    """On a one-worker server of its own: what one worker's searches do to its own streams."""
    solo = alone(run.system)
    solo.start()
    try:
        return {"search": search_scan(solo, run.sizes["big"], run.sizes["gz"])}
    finally:
        solo.stop()


def _timeline(run: Run) -> dict:
    """On a server of its own whose indexes are kept in a state directory of its own."""
    kept = replace(
        run.system,
        name=f"{run.system.name}-indexed",
        env=run.system.env | {"LOG_VIEWER_STATE_DIRECTORY": str(WORK / f"state-{run.system.name}")},
        port=free_port(),
    )
    kept.start()
    try:
        return {"timeline": timeline_scan(kept, run.sizes["big"], run.sizes["timeline_appended"])}
    finally:
        kept.stop()


def _storms(run: Run) -> dict:
    return {
        "storm": storm(*run.sizes["storm"]),
        "storm_handler": storm(*run.sizes["storm_handler"], handler_backups=3),
    }


def _viewers(n: int) -> str:
    return f"{n:,} viewer{'' if n == 1 else 's'}"


REGISTRY: tuple[Scenario, ...] = (
    Scenario(
        "latency",
        _latency,
        SYSTEMS,
        rows=(
            Row(
                lambda s: f"latency p50, {_viewers(s['latency_viewers'][0])} (ms)",
                lambda f, s: f[f"latency_{s['latency_viewers'][0]}"]["p50_ms"],
                5,
            ),
            Row(
                lambda s: f"latency p99, {_viewers(s['latency_viewers'][0])} (ms)",
                lambda f, s: f[f"latency_{s['latency_viewers'][0]}"]["p99_ms"],
                25,
            ),
            Row(
                lambda s: f"latency p50, {_viewers(s['latency_viewers'][-1])} (ms)",
                lambda f, s: f[f"latency_{s['latency_viewers'][-1]}"]["p50_ms"],
            ),
            Row(
                lambda s: f"latency p99, {_viewers(s['latency_viewers'][-1])} (ms)",
                lambda f, s: f[f"latency_{s['latency_viewers'][-1]}"]["p99_ms"],
                100,
            ),
            Row(
                lambda s: f"lines received, {_viewers(s['latency_viewers'][-1])} (share)",
                lambda f, s: f[f"latency_{s['latency_viewers'][-1]}"]["received_share"],
            ),
        ),
    ),
    Scenario(
        "delivery",
        _delivery,
        SYSTEMS,
        rows=(
            Row(
                lambda s: f"delivery, {_viewers(s['delivery'][0])} (mean share)",
                lambda f, s: f[f"delivery_{s['delivery'][0]}"]["mean_share"],
            ),
            Row(
                lambda s: f"delivery, {_viewers(s['delivery'][-1])} (mean share)",
                lambda f, s: f[f"delivery_{s['delivery'][-1]}"]["mean_share"],
                1.0,
                lower_is_better=False,
            ),
            Row(
                lambda s: f"duplicates, {_viewers(s['delivery'][-1])}",
                lambda f, s: f[f"delivery_{s['delivery'][-1]}"]["duplicates"],
                0,
            ),
        ),
    ),
    Scenario(
        "burst",
        lambda run: {"burst": burst(run.system, run.sizes["burst"], timeout=_timeout(run))},
        SYSTEMS,
        rows=(
            Row(
                lambda s: f"burst of {s['burst']:,} lines (lines/s)",
                lambda f, s: f["burst"]["lines_per_s"],
                300_000,
                lower_is_better=False,
            ),
            Row(lambda s: "burst complete", lambda f, s: f["burst"]["complete"]),
        ),
    ),
    Scenario("burst", _burst_million, report=report.burst_million_line),
    Scenario("burst", _burst_levelled, report=report.levels_line),
    Scenario(
        "idle",
        _idle,
        SYSTEMS,
        rows=(
            Row(
                lambda s: f"idle {s['idle'][0]:,} viewers: CPU (% of a core)",
                lambda f, s: f[f"idle_{s['idle'][0]}"]["cpu_percent_of_one_core"],
            ),
            Row(
                lambda s: f"idle {s['idle'][-1]:,} viewers: CPU (% of a core)",
                lambda f, s: f[f"idle_{s['idle'][-1]}"]["cpu_percent_of_one_core"],
                5,
            ),
            Row(
                lambda s: f"idle {s['idle'][-1]:,} viewers: KiB per viewer",
                lambda f, s: f[f"idle_{s['idle'][-1]}"]["kib_per_viewer"],
                32,
            ),
            Row(
                lambda s: f"idle {s['idle'][-1]:,} viewers: streams held",
                lambda f, s: f[f"idle_{s['idle'][-1]}"]["connected"],
            ),
        ),
        report=report.idle_lines,
    ),
    Scenario("idle", _idle_floor),
    Scenario(
        "stalled", lambda run: {"stalled": stalled(run.system, *run.sizes["stalled"])}, report=report.stalled_line
    ),
    Scenario(
        "throughput",
        lambda run: {"throughput": throughput(run.system, *run.sizes["throughput"])},
        report=report.throughput_table,
    ),
    Scenario(
        "history",
        lambda run: {"history": history(run.system, run.sizes["big"], run.sizes["scroll_back"])},
        report=report.history_table,
    ),
    Scenario(
        "merged",
        lambda run: {"merged": merged_read(run.system, run.sizes["big"], run.sizes["merged_live"])},
        report=report.merged_line,
    ),
    Scenario("fanout", lambda run: {"fanout": fanout(run.system, *run.sizes["fanout"])}),
    Scenario(
        "first_event",
        lambda run: {"first_event": first_event(run.system, run.sizes["big"])},
        SYSTEMS,
        rows=(Row(lambda s: f"first event, {s['big'] / 1e9:g} GB log (ms)", lambda f, s: f["first_event"]["ms"], 100),),
    ),
    Scenario("search", _search, on_server=False, report=report.search_table),
    Scenario("timeline", _timeline, on_server=False, report=report.timeline_line),
    Scenario(
        "relay",
        lambda run: {"relay": relay(run.system, *run.sizes["relay"])},
        on_server=False,
        report=report.relay_line,
    ),
    Scenario("storm", _storms, on_server=False, report=report.storm_lines),
    Scenario(
        "formats", lambda run: {"formats": formats(*run.sizes["formats"])}, on_server=False, report=report.formats_table
    ),
    Scenario(
        "logrotate",
        lambda run: {"logrotate": logrotate_storms(*run.sizes["logrotate"])},
        on_server=False,
        report=report.logrotate_table,
    ),
)
NAMES = tuple(dict.fromkeys(scenario.name for scenario in REGISTRY))  # --scenario's choices, in order
