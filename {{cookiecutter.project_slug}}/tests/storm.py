"""A seeded rotation storm against real gunicorn: the test runs a small one, the template's benchmark a large one.

Numbered lines are written at varying speed while the log rotates about once a
second, each kind in turn: logrotate ``create`` with a writer that reopens late,
``copytruncate``, ``RotatingFileHandler``'s shift, and delete-and-recreate.
Workers are killed with SIGKILL; viewers drop their connection at random and
resume with their cursor. A viewer may miss only lines of a deleted file (gone
before it came back for them); anything else missing is lost.

``LogrotateStormWriter`` is the same storm through the real ``logrotate``, run
two or three times a second beside a writer that reopens the log when
logrotate's ``postrotate`` says so, as a daemon does on its HUP (or keeps its
file open, for ``copytruncate``).
There the lines excused are those not on disk at the end: logrotate's own
losses (copytruncate's window between copy and truncate) and deleted files.
"""

from __future__ import annotations

import itertools
import logging
import logging.handlers
import os
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from eventsource import EventSource
from helpers import AUTH, PREFIX
from logrotate import Config, Logrotate, numbers_on_disk
from servers import Server

KINDS = ("create", "copytruncate", "handler", "delete")
BACKUPS = 20


class StormWriter:
    """Writes ``line N`` lines and rotates the log between them; the kinds take turns."""

    lost_by_logrotate = 0  # no logrotate here

    def __init__(self, log: Path, lines: int, rng: random.Random) -> None:
        self.log, self.lines, self.rng = log, lines, rng
        self.fh = open(log, "a", buffering=1)  # noqa: SIM115 (reopened across rotations)
        self.rotations: list[str] = []
        self.in_log: list[int] = []  # the lines in the file at the log's name
        self.deleted: dict[int, float] = {}  # lines of deleted files, and when they went
        self.late: float | None = None

    def shift(self) -> None:
        """app.log.N -> app.log.N+1, oldest first, as logrotate and RotatingFileHandler do."""
        for n in range(BACKUPS, 0, -1):
            older = self.log.with_name(f"{self.log.name}.{n}")
            if older.exists():
                older.rename(self.log.with_name(f"{self.log.name}.{n + 1}"))

    def reopen(self) -> None:
        self.fh.close()
        self.fh = open(self.log, "a", buffering=1)  # noqa: SIM115

    def rotate(self, kind: str) -> None:
        rotated = self.log.with_name(f"{self.log.name}.1")
        if kind == "delete":
            self.fh.close()
            self.log.unlink()
            self.deleted.update(dict.fromkeys(self.in_log, time.monotonic()))
            self.reopen()
        elif kind == "create":  # renamed; the writer reopens a little later, writing to the old file meanwhile
            self.shift()
            self.log.rename(rotated)
            self.log.touch()
            self.late = time.monotonic() + self.rng.uniform(0.05, 0.3)
        elif kind == "copytruncate":
            self.shift()
            rotated.write_bytes(self.log.read_bytes())
            os.truncate(self.log, 0)
        else:  # RotatingFileHandler: close, rename, open anew
            self.shift()
            self.fh.close()
            self.log.rename(rotated)
            self.reopen()
        self.in_log = []
        self.rotations.append(kind)

    def run(self) -> None:
        next_rotation = time.monotonic() + 1.0
        for i in range(self.lines):
            if self.late and time.monotonic() >= self.late:
                self.reopen()
                self.late = None
            self.fh.write(f"line {i}\n")
            if not self.late:
                self.in_log.append(i)
            if time.monotonic() >= next_rotation and not self.late and i < self.lines - 1:
                self.rotate(KINDS[len(self.rotations) % len(KINDS)])
                next_rotation = time.monotonic() + self.rng.uniform(0.7, 1.3)
            time.sleep(self.rng.choice([0, 0, 0.001, 0.002, 0.005]))
        self.fh.close()


class LogrotateStormWriter:
    """Writes ``line N`` lines while the real logrotate rotates the log now and then.

    The writer reopens the log when logrotate's ``postrotate`` tells it to (a flag file here, a HUP or
    ``reload`` on a host), and writes to the renamed file until then; with ``copytruncate`` it keeps its
    file open. (A writer that reopens the log by itself, like ``WatchedFileHandler``, races ``create``:
    logrotate then renames the writer's new file to ``app.log-<date>.backup``, outside the rotation.)
    """

    def __init__(self, log: Path, lines: int, rng: random.Random, config: Config) -> None:
        self.log, self.lines, self.rng, self.config = log, lines, rng, config
        self.reopen = log.parent.parent / "reopen"  # logrotate's postrotate touches it
        self.rotation = Logrotate(log.parent.parent, {log: config}, postrotate=f"touch {self.reopen}")
        self.rotations: list[str] = []
        self.deleted: dict[int, float] = {}  # lines not on disk at the end, and when that was seen
        self.lost_by_logrotate = 0
        self.logrotate_errors = 0  # runs that said something on their error output

    def _rotate_until(self, stop: threading.Event) -> None:
        while not stop.wait(self.rng.uniform(0.3, 0.7)):
            if self.rotation.rotate(check=False):
                self.logrotate_errors += 1
            self.rotations.append(self.config.name)

    def run(self) -> None:
        fh = open(self.log, "a", buffering=1)  # noqa: SIM115 (reopened across rotations)
        stop = threading.Event()
        rotator = threading.Thread(target=self._rotate_until, args=(stop,), daemon=True)
        rotator.start()
        try:
            for i in range(self.lines):
                if self.reopen.exists():
                    self.reopen.unlink()
                    fh.close()
                    fh = open(self.log, "a", buffering=1)  # noqa: SIM115
                fh.write(f"line {i}\n")
                time.sleep(self.rng.choice([0, 0, 0.001, 0.002, 0.005]))
        finally:
            stop.set()
            rotator.join(60)
            fh.close()
        on_disk = set(numbers_on_disk(self.log))
        now = time.monotonic()
        self.deleted = {n: now for n in range(self.lines) if n not in on_disk}
        self.lost_by_logrotate = len(self.deleted)


class HandlerStormWriter:
    """Writes ``line N`` lines through ``RotatingFileHandler(backupCount=3)``, rolled over now and then.

    Each rollover deletes the oldest backup: its lines are gone from then on.
    """

    lost_by_logrotate = 0  # no logrotate here

    def __init__(self, log: Path, lines: int, rng: random.Random, backups: int, every: tuple[float, float]) -> None:
        self.log, self.lines, self.rng, self.backups, self.every = log, lines, rng, backups, every
        self.rotations: list[str] = []
        self.deleted: dict[int, float] = {}
        self.generations: list[list[int]] = [[]]  # the lines of app.log, app.log.1, ... newest first

    def run(self) -> None:
        handler = logging.handlers.RotatingFileHandler(self.log, backupCount=self.backups)
        handler.setFormatter(logging.Formatter("%(message)s"))
        next_rotation = time.monotonic() + self.rng.uniform(*self.every)
        try:
            for i in range(self.lines):
                handler.emit(logging.makeLogRecord({"msg": f"line {i}"}))
                self.generations[0].append(i)
                if time.monotonic() >= next_rotation and i < self.lines - 1:
                    handler.doRollover()
                    self.generations.insert(0, [])
                    if len(self.generations) > self.backups + 1:
                        self.deleted.update(dict.fromkeys(self.generations.pop(), time.monotonic()))
                    self.rotations.append("handler")
                    next_rotation = time.monotonic() + self.rng.uniform(*self.every)
                time.sleep(self.rng.choice([0, 0, 0.001, 0.002, 0.005]))
        finally:
            handler.close()


class StormViewer(threading.Thread):
    """Reads until it has the last line, dropping its connection at random and resuming with its cursor."""

    def __init__(self, server: Server, last: str, within: float, rng: random.Random, away: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.server, self.last, self.within, self.rng = server, last, within, rng
        self.away_for = away  # how long it stays away before resuming, at most (seconds)
        self.lines: list[str] = []
        self.reconnects = 0
        self.resets = 0  # resumes whose cursor named no file left: started again at the log's start
        self.away: list[tuple[float, float]] = []  # from leaving to being served again
        self.source = EventSource(server.address, f"{PREFIX}/stream/app.log", AUTH)
        self.error: BaseException | None = None

    def done(self) -> bool:
        return bool(self.lines) and self.lines[-1] == self.last

    def run(self) -> None:
        deadline = time.monotonic() + self.within  # a viewer still short by then lost lines
        try:
            while not self.done() and time.monotonic() < deadline:
                leave_at = time.monotonic() + self.rng.uniform(0.2, 2.0)
                try:
                    for event in self.source.events(within=max(1.0, deadline - time.monotonic())):
                        self.lines += event.lines
                        self.resets += event.name == "reset"
                        if self.done() or time.monotonic() > leave_at:
                            break
                except TimeoutError:
                    break
                except OSError:
                    time.sleep(0.1)  # a killed worker: resume on another
                if not self.done():
                    self.reconnects += 1
                    left = time.monotonic()
                    time.sleep(self.rng.uniform(0, self.away_for))
                    self._resume()
                    self.away.append((left, time.monotonic()))
        except BaseException as error:  # reported by the caller
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


@dataclass
class ViewerResult:
    received: int
    lost: list[int]  # lines that existed in a file it could still read, never received
    missed_deleted: int  # lines of a file deleted before it read them
    missed_deleted_while_away: int  # of those, in a file deleted while it was away
    repeated: int
    out_of_order: int
    reconnects: int
    resets: int
    error: str | None


@dataclass
class Storm:
    lines: int
    rotations: list[str]
    kills: int
    seconds: float
    viewers: list[ViewerResult] = field(default_factory=list)
    lost_by_logrotate: int = 0  # lines written that were not on disk at the end (real logrotate only)

    def totals(self) -> dict:
        """The storm's figures, summed over its viewers."""
        return {
            "lines": self.lines,
            "viewers": len(self.viewers),
            "rotations": {kind: self.rotations.count(kind) for kind in dict.fromkeys(self.rotations)},
            "lost_by_logrotate": self.lost_by_logrotate,
            "kills": self.kills,
            "seconds": round(self.seconds, 1),
            "lost": sum(len(viewer.lost) for viewer in self.viewers),
            "first_lost": sorted({n for viewer in self.viewers for n in viewer.lost})[:5],
            "repeated": sum(viewer.repeated for viewer in self.viewers),
            "out_of_order": sum(viewer.out_of_order for viewer in self.viewers),
            "gone_with_deleted_files": sum(viewer.missed_deleted for viewer in self.viewers),
            "gone_with_files_deleted_while_away": sum(viewer.missed_deleted_while_away for viewer in self.viewers),
            "reconnects": sum(viewer.reconnects for viewer in self.viewers),
            "resets": sum(viewer.resets for viewer in self.viewers),
            "errors": [viewer.error for viewer in self.viewers if viewer.error],
        }

    def summary(self) -> str:
        return "storm: " + ", ".join(f"{name} {value}" for name, value in self.totals().items())


def judged(viewer: StormViewer, lines: int, deleted: dict[int, float]) -> ViewerResult:
    numbers = [int(line.split()[1]) for line in viewer.lines]
    unique = set(numbers)
    never = [n for n in range(lines) if n not in unique]
    return ViewerResult(
        received=len(numbers),
        lost=[n for n in never if n not in deleted],
        missed_deleted=sum(1 for n in never if n in deleted),
        missed_deleted_while_away=sum(
            1 for n in never if n in deleted and any(left <= deleted[n] <= back for left, back in viewer.away)
        ),
        repeated=len(numbers) - len(unique),
        out_of_order=sum(1 for a, b in itertools.pairwise(numbers) if b <= a),
        reconnects=viewer.reconnects,
        resets=viewer.resets,
        error=repr(viewer.error) if viewer.error else None,
    )


def run_storm(
    log_dir: Path,
    state_dir: Path,
    lines: int,
    viewers: int,
    kills: int,
    seed: int,
    logrotate: Config | None = None,
    handler_backups: int | None = None,
    handler_every: tuple[float, float] = (0.6, 1.0),
) -> Storm:
    """Write ``lines`` lines through a storm, kill ``kills`` workers on the way, judge what each viewer got.

    The rotations are our own of every kind; or the real logrotate's in one configuration; or a
    ``RotatingFileHandler`` keeping ``handler_backups`` files (older ones deleted), rolled over every
    ``handler_every`` seconds.
    """
    rng = random.Random(seed)
    log = log_dir / "app.log"
    log.touch()
    started = time.monotonic()
    with Server(log_dir, state_dir, LOG_VIEWER_BACKLOG_LINES="10000") as server:
        server.start()
        writer_rng = random.Random(rng.random())
        writer: StormWriter | LogrotateStormWriter | HandlerStormWriter
        if logrotate:
            writer = LogrotateStormWriter(log, lines, writer_rng, logrotate)
        elif handler_backups:
            writer = HandlerStormWriter(log, lines, writer_rng, handler_backups, handler_every)
        else:
            writer = StormWriter(log, lines, writer_rng)
        seconds = lines * 0.0025  # the writer's mean pace: about 400 lines a second
        away = 2.5 if logrotate or handler_backups else 0.0  # away across rotations, as the viewers that lost files
        crowd = [
            StormViewer(server, f"line {lines - 1}", seconds + 30, random.Random(rng.random()), away)
            for _ in range(viewers)
        ]
        for viewer in crowd:
            viewer.start()
        writing = threading.Thread(target=writer.run, daemon=True)
        writing.start()
        for _ in range(kills):  # spread over the storm
            time.sleep(seconds / (kills + 1))
            holders = server.pids_holding(log) or server.worker_pids()
            os.kill(rng.choice(holders), signal.SIGKILL)
        writing.join(seconds * 4 + 30)
        for viewer in crowd:
            viewer.join(seconds + 40)
    storm = Storm(lines, writer.rotations, kills, time.monotonic() - started)
    storm.lost_by_logrotate = writer.lost_by_logrotate
    storm.viewers = [judged(viewer, lines, writer.deleted) for viewer in crowd]
    return storm
