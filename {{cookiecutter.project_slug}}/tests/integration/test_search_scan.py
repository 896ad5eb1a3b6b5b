"""Search against real gunicorn: progress while ripgrep runs, and a client that leaves stops the scan."""

from __future__ import annotations

import http.client
import json
import os
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers import PREFIX, authorization

pytestmark = [pytest.mark.integration]

HARD = r"[^\n]{70}\d{9}$"  # no literal to skip ahead with: ripgrep reads every byte
SIBLINGS = 40


def scans_of(pids: list[int]) -> list[int]:
    """The ripgrep processes the workers ``pids`` are running."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
        if parent in pids and b"--search-zip" in command:
            found.append(int(entry))
    return found


@pytest.fixture
def big_family(server) -> Path:
    """app.log and 40 rotated siblings, each the same 64 MB (hard links): 2.6 GB to scan, a few seconds."""
    log = server.log_dir / "app.log"
    with open(log, "wb") as fh:
        fh.write(b"a line that the hard pattern never matches, padded out ......\n" * 1_000_000)
    for n in range(1, SIBLINGS + 1):
        os.link(log, server.log_dir / f"app.log.{n}")
    return log


def test_progress_then_a_client_that_leaves_stops_the_scan(server, big_family):
    connection = http.client.HTTPConnection(*server.address, timeout=15)
    headers = {"Accept": "text/event-stream"} | authorization()
    connection.request("GET", f"{PREFIX}/search/app.log?q={quote(HARD)}&regex=1", headers=headers)
    response = connection.getresponse()
    assert response.status == 200
    progress = []
    while len(progress) < 2:
        line = response.fp.readline().decode()
        assert line != "event: done\n", "the scan ended before two progress events: make it longer"
        if line.startswith("data: {"):
            progress.append(json.loads(line[6:]))
    assert progress[0]["total"] == (SIBLINGS + 1) * big_family.stat().st_size
    assert progress[1]["scanned"] >= progress[0]["scanned"] > 0
    running = scans_of(server.worker_pids())
    assert len(running) == 1
    connection.close()
    deadline = time.monotonic() + 1.0
    while scans_of(server.worker_pids()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert scans_of(server.worker_pids()) == [], "ripgrep still scanning a second after its client left"
