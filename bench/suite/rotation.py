"""Scenarios of rotation: the storm (our own rotations, worker kills) and the real logrotate."""

from __future__ import annotations

import sys

from .systems import WORK
from .workloads import scratch_logs


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
