#!/usr/bin/env python3
"""Benchmark the generated service against the original flask-log-viewer 0.2.2, in one run.

    python3 bench/run.py            # the full run (a few minutes), table + bench/results/latest.json
    python3 bench/run.py --smoke    # tiny sizes, seconds: proves the benchmark still works

Both services run under gunicorn with 4 gevent workers on loopback and are
measured by the same browser-like client (bench/client.py). Figures are
measured, never asserted; a missed target is marked in the table. The
scenarios, their sizes, rows, targets and reports are declared in
``suite/scenarios.py``; the services in ``suite/systems.py``; what they write
in ``suite/workloads.py``; each family of scenarios in a module of its own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if not os.environ.get("BENCH_IN_VENV"):  # re-run inside the repository's virtualenv
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    from _venv import venv_python

    python = venv_python()
    os.execve(python, [str(python), __file__, *sys.argv[1:]], os.environ | {"BENCH_IN_VENV": "1"})

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

from suite import report  # noqa: E402
from suite.scenarios import NAMES, REGISTRY, Run, Scenario, sizes_of  # noqa: E402
from suite.systems import RESULTS, SETTLE, SYSTEMS, machine, prepare  # noqa: E402


def run(smoke: bool, systems: set[str], names: set[str]) -> dict:
    """Each chosen scenario on each chosen system: those on its own server first, then those with servers of
    their own."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:  # 20,000 viewers' sockets here, and the servers inherit it (root may raise the hard limit)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, 65536), max(hard, 65536)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sizes = sizes_of(smoke)
    results: dict = {"machine": machine(), "smoke": smoke, "sizes": sizes, "systems": {}}
    for system in prepare(smoke, systems):
        figures = results["systems"][system.name] = {}
        chosen = [scenario for scenario in REGISTRY if scenario.name in names and system.name in scenario.systems]
        system.start()
        try:
            for scenario in (scenario for scenario in chosen if scenario.on_server):
                measured(scenario, Run(system, sizes, smoke, figures))
        finally:
            system.stop()
        for scenario in (scenario for scenario in chosen if not scenario.on_server):
            measured(scenario, Run(system, sizes, smoke, figures))
    return results


def measured(scenario: Scenario, run: Run) -> None:
    """Run one scenario: its figures into the system's, and each printed as it comes."""
    found = scenario.measure(run)
    run.figures.update(found)
    for key, figures in found.items():
        print(run.system.name, key, figures, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds per system")
    parser.add_argument("--system", choices=SYSTEMS, action="append", help="only this system (repeatable)")
    parser.add_argument("--scenario", choices=NAMES, action="append", help="only this scenario (repeatable)")
    args = parser.parse_args()
    systems, names = set(args.system or SYSTEMS), set(args.scenario or NAMES)
    partial = systems != set(SYSTEMS) or names != set(NAMES)
    if args.smoke:
        SETTLE.update(retry=0.5, idle=0.5)
    started = time.monotonic()
    results = run(args.smoke, systems, names)
    results["seconds"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / ("smoke.json" if args.smoke else "partial.json" if partial else "latest.json")
    target.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{report.machine_line(results)}")
    print("ratio = original / ours\n")
    if not partial:
        print(report.table([row for scenario in REGISTRY for row in scenario.rows], results))
    ours = results["systems"].get("ours")
    for scenario in REGISTRY:
        if ours and scenario.report and scenario.name in names:
            print("\n" + scenario.report(ours, results["sizes"]))
    print(f"\nfigures: {target}")


if __name__ == "__main__":
    main()
