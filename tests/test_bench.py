"""A smoke run of the benchmark (tiny sizes) so it cannot rot; its figures are not asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers import ROOT


@pytest.mark.slow
def test_benchmark_smoke_run_completes_and_reports_both_systems():
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "BENCH_IN_VENV": "1"},
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "| measure | ours | original | ratio | target |" in run.stdout
    results = json.loads((ROOT / "bench" / "results" / "smoke.json").read_text())
    assert set(results["systems"]) == {"ours", "original"}
    assert results["machine"]["cores"] >= 1
    assert "stalled" in results["systems"]["ours"]
    history = results["systems"]["ours"]["history"]
    assert "browser_error" not in history, history.get("browser_error")
    assert {"big_end_p50_ms", "to_line_1_p50_ms", "elements_after"} <= set(history)
    search = results["systems"]["ours"]["search"]
    assert "browser_error" not in search, search.get("browser_error")
    assert {"first_match_p50_ms", "first_match_screen_p90_ms", "stream_searching_p99_ms"} <= set(search)
    assert all(row["ours_matches"] == row["tool_matches"] for row in search["searches"].values()), search["searches"]
    assert results["systems"]["ours"]["burst_million"]["received"] > 0
    throughput = results["systems"]["ours"]["throughput"]
    assert "browser_error" not in throughput, throughput.get("browser_error")
    assert {"newest_on_screen_p50_ms", "worst_frame_gap_ms", "heap_max_mb"} <= set(throughput["rates"][0])
    relay = results["systems"]["ours"]["relay"]
    assert relay["received_at_rate"] == {"direct": 1.0, "relayed": 1.0}, relay
    assert relay["relayed"]["p50_ms"] is not None and relay["relay_cpu_percent_per_1000_lines_s"] > 0
    storm = results["systems"]["ours"]["storm"]
    assert storm["errors"] == [] and sum(storm["rotations"].values()) >= 1, storm
    handler = results["systems"]["ours"]["storm_handler"]
    assert handler["errors"] == [] and handler["rotations"].get("handler", 0) >= 1, handler
    layouts = results["systems"]["ours"]["formats"]
    assert all(f["at_found_the_line"] and f["levels_right_share"] == 1.0 for f in layouts.values()), layouts
    rotated = results["systems"]["ours"]["logrotate"]["configurations"]
    assert rotated and all(f["errors"] == [] and f["rotations"] >= 1 for f in rotated.values()), rotated
    for figures in results["systems"].values():
        assert {"latency_1", "delivery_3", "burst", "first_event"} <= set(figures)
