"""Through the real logrotate, every line: viewers away while their log rotates resume with every line on disk.

One sequence serves every configuration of ``logrotate.MATRIX`` at once (one
log each, one ``logrotate -f`` a round): 100 lines are written before each of
five rotations and after the last. Viewers read the log and leave before
rotation 1, 3, 4 or 5 (away across 5, 3, 2 or 1 rotations), and all resume with
their cursor at the end. Each must then get exactly the lines still on disk
after its cursor, once, in order; where a file it needed was deleted (``rotate
1``), a ``reset`` notice must say so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from eventsource import EventSource
from helpers import AUTH, PREFIX
from logrotate import MATRIX, Config, Logrotate, numbers_on_disk
from servers import Server

pytestmark = pytest.mark.integration

ROUNDS = 5
BATCH = 100
AWAY = (5, 3, 2, 1)  # rotations a viewer is away across: it leaves before rotation ROUNDS + 1 - away


@dataclass
class Viewer:
    cursor: str
    last_seen: int  # the number of the last line it got before leaving
    lines: list[int] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


@dataclass
class Sequence:
    viewers: dict[tuple[str, int], Viewer]
    on_disk: dict[str, list[int]]


def log_name(config: Config) -> str:
    return f"{config.name}.log"


def write(log: Path, start: int, count: int) -> None:
    """Lines ``start`` to ``start + count``, appended by a writer that reopens the log each time (as after a HUP)."""
    with open(log, "a") as fh:
        fh.write("".join(f"line {n}\n" for n in range(start, start + count)))


def leave(server: Server, name: str, last: int) -> Viewer:
    """A viewer that reads the log's lines up to ``last`` (the live file's, from its start) and leaves."""
    with EventSource(server.address, f"{PREFIX}/stream/{name}", AUTH) as source:
        assert source.status == 200
        for event in source.events(within=20):
            if event.lines and event.lines[-1] == f"line {last}":
                return Viewer(event.id, last)
    raise AssertionError(f"{name}: the stream ended before line {last}")


def resume(server: Server, name: str, viewer: Viewer, last: int) -> None:
    """Resume with the cursor and read up to line ``last``."""
    with EventSource(server.address, f"{PREFIX}/stream/{name}", AUTH, last_event_id=viewer.cursor) as source:
        assert source.status == 200
        for event in source.events(within=30):
            if event.name != "message":
                viewer.notices.append(event.name)
            viewer.lines += [int(line.split()[1]) for line in event.lines]
            if viewer.lines and viewer.lines[-1] == last:
                return


@pytest.fixture(scope="module")
def sequence(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sequence]:
    root = tmp_path_factory.mktemp("logrotate")
    (root / "logs").mkdir()
    logs = {root / "logs" / log_name(config): config for config in MATRIX}
    rotation = Logrotate(root, logs)
    with Server(root / "logs", root / "state", LOG_VIEWER_BACKLOG_LINES="10000") as server:
        server.start()
        viewers: dict[tuple[str, int], Viewer] = {}
        for log in logs:
            write(log, 0, BATCH)
        for round_ in range(1, ROUNDS + 1):
            for away in AWAY:
                if round_ == ROUNDS + 1 - away:
                    for log, config in logs.items():
                        viewers[config.name, away] = leave(server, log.name, round_ * BATCH - 1)
            rotation.rotate()
            for log in logs:
                write(log, round_ * BATCH, BATCH)
        for (name, _away), viewer in viewers.items():
            resume(server, f"{name}.log", viewer, (ROUNDS + 1) * BATCH - 1)
        yield Sequence(viewers, {config.name: numbers_on_disk(log) for log, config in logs.items()})


@pytest.mark.parametrize("away", AWAY, ids=[f"away{away}" for away in AWAY])
@pytest.mark.parametrize("config", MATRIX, ids=[config.name for config in MATRIX])
def test_a_viewer_away_across_rotations_gets_every_line_on_disk_once_in_order(sequence, config, away):
    viewer = sequence.viewers[config.name, away]
    on_disk = sequence.on_disk[config.name]
    assert on_disk == sorted(set(on_disk)), "logrotate itself kept a line twice or out of order"
    expected = [n for n in on_disk if n > viewer.last_seen]
    assert viewer.lines == expected, (viewer.notices, viewer.lines[:3], expected[:3])
    gone = set(range(viewer.last_seen + 1, expected[0] if expected else 0)) - set(on_disk)
    if gone:  # rotated away for good while it was away: said, never a silent jump
        assert "reset" in viewer.notices, viewer.notices
