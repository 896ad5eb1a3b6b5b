"""A seeded rotation storm through real gunicorn: every viewer gets every line, once, in order.

Numbered lines are written at varying speed while the log rotates about once a
second, each kind in turn (logrotate ``create`` with a writer that reopens late,
``copytruncate``, ``RotatingFileHandler``'s shift); workers are killed with
SIGKILL; viewers drop their connection at random and resume with their cursor.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest
from eventsource import EventSource
from helpers import AUTH, PREFIX
from servers import Server

pytestmark = pytest.mark.integration

SEED = 20261126
LINES = 3000
VIEWERS = 5
BACKUPS = 20


class StormWriter:
    """Writes ``line N`` lines and rotates the log between them; the kinds take turns."""

    def __init__(self, log: Path, rng: random.Random) -> None:
        self.log, self.rng = log, rng
        self.fh = open(log, "a", buffering=1)  # noqa: SIM115 (reopened across rotations)
        self.rotations: list[str] = []

    def shift(self) -> None:
        """app.log.N -> app.log.N+1, oldest first, as logrotate and RotatingFileHandler do."""
        for n in range(BACKUPS, 0, -1):
            older = self.log.with_name(f"{self.log.name}.{n}")
            if older.exists():
                older.rename(self.log.with_name(f"{self.log.name}.{n + 1}"))

    def rotate(self, kind: str) -> None:
        self.shift()
        rotated = self.log.with_name(f"{self.log.name}.1")
        if kind == "create":  # renamed; the writer reopens a little later, writing to the old file meanwhile
            self.log.rename(rotated)
            self.log.touch()
            self.late = time.monotonic() + self.rng.uniform(0.05, 0.3)
        elif kind == "copytruncate":
            rotated.write_bytes(self.log.read_bytes())
            os.truncate(self.log, 0)
        else:  # RotatingFileHandler: close, rename, open anew
            self.fh.close()
            self.log.rename(rotated)
            self.fh = open(self.log, "a", buffering=1)  # noqa: SIM115
        self.rotations.append(kind)

    def run(self) -> None:
        kinds = ["create", "copytruncate", "handler"]
        next_rotation, self.late = time.monotonic() + 1.0, None
        for i in range(LINES):
            if self.late and time.monotonic() >= self.late:
                self.fh.close()
                self.fh = open(self.log, "a", buffering=1)  # noqa: SIM115
                self.late = None
            self.fh.write(f"line {i}\n")
            if time.monotonic() >= next_rotation and not self.late:
                self.rotate(kinds[len(self.rotations) % len(kinds)])
                next_rotation = time.monotonic() + self.rng.uniform(0.7, 1.3)
            time.sleep(self.rng.choice([0, 0, 0.001, 0.002, 0.005]))
        self.fh.close()


class StormViewer(threading.Thread):
    """Reads until it has every line, dropping its connection at random and resuming with its cursor."""

    def __init__(self, server: Server, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.server, self.rng = server, rng
        self.lines: list[str] = []
        self.reconnects = 0
        self.source = EventSource(server.address, f"{PREFIX}/stream/app.log", AUTH)
        self.error: BaseException | None = None

    def run(self) -> None:
        deadline = time.monotonic() + 40  # the storm takes about 5 s: a viewer still short by then lost lines
        try:
            while len(self.lines) < LINES and time.monotonic() < deadline:
                leave_at = time.monotonic() + self.rng.uniform(0.2, 2.0)
                try:
                    for event in self.source.events(within=max(1.0, deadline - time.monotonic())):
                        self.lines += event.lines
                        if len(self.lines) >= LINES or time.monotonic() > leave_at:
                            break
                except TimeoutError:
                    break
                except OSError:
                    time.sleep(0.1)  # a killed worker: resume on another
                if len(self.lines) < LINES:
                    self.reconnects += 1
                    self._resume()
        except BaseException as error:  # reported by the test
            self.error = error
        finally:
            self.source.close()

    def _resume(self) -> None:
        """Reconnect with the cursor, as the viewer page does: again after a worker's death or a 404
        (between the steps of a rotation the log's name may lead nowhere for a moment)."""
        while True:
            try:
                self.source.reconnect()
                if self.source.status == 200:
                    return
                assert self.source.status == 404, self.source.status
            except OSError:
                pass
            time.sleep(0.1)


def test_every_viewer_gets_every_line_once_in_order_through_a_rotation_storm(log_dir, tmp_path):
    rng = random.Random(SEED)
    log = log_dir / "app.log"
    log.touch()
    with Server(log_dir, tmp_path / "state", LOG_VIEWER_BACKLOG_LINES="10000") as server:
        server.start()
        writer = StormWriter(log, random.Random(rng.random()))
        viewers = [StormViewer(server, random.Random(rng.random())) for _ in range(VIEWERS)]
        for viewer in viewers:
            viewer.start()
        writing = threading.Thread(target=writer.run, daemon=True)
        writing.start()
        kills = 0
        for pause in (1.5, 1.5):  # two workers killed mid-storm
            time.sleep(pause)
            holders = server.pids_holding(log) or server.worker_pids()
            os.kill(rng.choice(holders), signal.SIGKILL)
            kills += 1
        writing.join(60)
        for viewer in viewers:
            viewer.join(50)
    expected = [f"line {i}" for i in range(LINES)]
    print(
        f"storm: {LINES} lines, {len(writer.rotations)} rotations ({', '.join(writer.rotations)}), {kills} kills, "
        f"reconnects {[v.reconnects for v in viewers]}"
    )
    for viewer in viewers:
        assert viewer.error is None, repr(viewer.error)
        got = viewer.lines
        lost = sorted(set(expected) - set(got), key=lambda line: int(line.split()[1]))
        repeated = len(got) - len(set(got))
        assert got == expected, f"lost {len(lost)} (first {lost[:5]}), repeated {repeated}, received {len(got)}"
    assert len(set(writer.rotations)) == 3
