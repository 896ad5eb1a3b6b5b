"""Search against real gunicorn: progress while ripgrep runs, and a client that leaves stops the scan."""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers import HARD_PATTERN, PREFIX, authorization, big_family, scans_of

pytestmark = [pytest.mark.integration]

SIBLINGS = 40


@pytest.fixture
def family(server) -> Path:
    """app.log and 40 rotated siblings of 64 MB each: 2.6 GB to scan, a few seconds."""
    log = server.log_dir / "app.log"
    big_family(log, SIBLINGS)
    return log


def test_progress_then_a_client_that_leaves_stops_the_scan(server, family):
    connection = http.client.HTTPConnection(*server.address, timeout=15)
    headers = {"Accept": "text/event-stream"} | authorization()
    connection.request("GET", f"{PREFIX}/search/app.log?q={quote(HARD_PATTERN)}&regex=1", headers=headers)
    response = connection.getresponse()
    assert response.status == 200
    progress = []
    while len(progress) < 2:
        line = response.fp.readline().decode()
        assert line != "event: done\n", "the scan ended before two progress events: make it longer"
        if line.startswith("data: {"):
            progress.append(json.loads(line[6:]))
    assert progress[0]["total"] == (SIBLINGS + 1) * family.stat().st_size
    assert progress[1]["scanned"] >= progress[0]["scanned"] > 0
    running = scans_of(server.worker_pids())
    deadline = time.monotonic() + 1.0
    while not running and time.monotonic() < deadline:  # between two files' ripgreps for a moment
        running = scans_of(server.worker_pids())
    assert len(running) == 1, running
    connection.close()
    deadline = time.monotonic() + 1.0
    while scans_of(server.worker_pids()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert scans_of(server.worker_pids()) == {}, "ripgrep still scanning a second after its client left"


def test_a_match_comes_as_soon_as_it_is_found_not_when_its_file_ends(server):
    """The first line matches; then 640 MB that the slow pattern must read: the match comes before any progress."""
    log = server.log_dir / "app.log"
    with open(log, "wb") as fh:
        fh.write(b"x" * 70 + b"123456789\n")
        for _ in range(10):
            fh.write(b"a line that the hard pattern never matches, padded out ......\n" * 1_000_000)
    connection = http.client.HTTPConnection(*server.address, timeout=15)
    try:
        headers = {"Accept": "text/event-stream"} | authorization()
        connection.request("GET", f"{PREFIX}/search/app.log?q={quote(HARD_PATTERN)}&regex=1", headers=headers)
        response = connection.getresponse()
        assert response.status == 200
        events = []
        while "event: done" not in events:
            line = response.fp.readline().decode()
            if line.startswith("event: ") or line.startswith("data: <div"):
                events.append(line.split(" ", 1)[0] if line.startswith("data") else line.strip())
    finally:
        connection.close()
    assert events[0] == "data:", f"the match came after {events[:3]}"
    assert "event: progress" in events, "the scan ended before the first progress: the file is too small to tell"
