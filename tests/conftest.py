"""pytest hooks for the template tests; their helpers live in ``helpers.py``."""

from __future__ import annotations

import os
import signal
import time

import pytest
from helpers import IN_CI, become_subreaper, live_descendants


def pytest_configure(config: pytest.Config) -> None:
    become_subreaper()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A test that leaves a process running fails the run; in CI (CI set), so does a skipped test."""
    deadline = time.monotonic() + 10  # time for processes being stopped to finish
    while (leaked := live_descendants()) and time.monotonic() < deadline:
        time.sleep(0.2)
    if leaked:
        print(f"\nProcesses left running by the tests (now killed): {leaked}")
        for pid in leaked:
            os.kill(pid, signal.SIGKILL)
        session.exitstatus = 1
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and exitstatus == 0:
        print(f"\nCI: {len(skipped)} test(s) skipped; in CI every test must run.")
        session.exitstatus = 1
