"""The file watcher on both of gevent's loops: libev's (the default) and libuv's (``GEVENT_LOOP=libuv``)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# Many wakes in a row, each after a write, as a logger writing record by record makes them.
CYCLES = """
import gevent, sys
from {{ cookiecutter.project_slug }}.watcher import FileWatcher

path = sys.argv[1]
watcher = FileWatcher(path, interval=0.05, heartbeat=30)
woken = 0
for _ in range(200):
    ticket = watcher.ticket(ticks=False)
    with open(path, "a") as fh:
        fh.write("a line\\n")
    woken += bool(ticket.wait(2))
watcher.close()
print(woken)
"""


@pytest.mark.parametrize("loop", ["libev-cext", "libuv"])
def test_two_hundred_wakes_in_a_row_each_after_a_write(tmp_path, loop):
    """libev's watcher is stopped between wakes; libuv's polling aborts the process if that is done to it."""
    log = tmp_path / "app.log"
    log.touch()
    done = subprocess.run(
        [sys.executable, "-c", CYCLES, str(log)],
        env=os.environ | {"GEVENT_LOOP": loop},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) == 200
