"""pytest hooks for the template tests; their helpers live in ``helpers.py``."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time

import pytest
from helpers import IN_CI, become_subreaper, live_descendants

SCRATCH = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    become_subreaper()
    # cookiecutter copies each hook it runs to a temporary file and never removes it (two per bake):
    # this run's temporary files go to a directory of their own, removed when it ends.
    config.stash[SCRATCH] = os.environ["TMPDIR"] = tempfile.mkdtemp(prefix="template-tests-")
    tempfile.tempdir = None  # look again


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(config.stash[SCRATCH], ignore_errors=True)


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
