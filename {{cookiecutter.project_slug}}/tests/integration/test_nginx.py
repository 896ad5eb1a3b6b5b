"""The generated nginx server block, in front of real gunicorn, in real nginx."""

from __future__ import annotations

import base64
import statistics
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from eventsource import EventSource
from helpers import AUTH, PREFIX

from {{ cookiecutter.project_slug }}.config import BAKED

pytestmark = [pytest.mark.integration, pytest.mark.answers]


def latencies(address, log: Path, count: int = 30) -> list[float]:
    """Seconds from each append to its arrival, one line at a time."""
    source = EventSource(address, f"{PREFIX}/stream/app.log", AUTH)
    source.read_lines(1)
    measured = []
    for i in range(count):
        started = time.perf_counter()
        with open(log, "a") as fh:
            fh.write(f"probe {i}\n")
        assert source.read_lines(1) == [f"probe {i}"]
        measured.append(time.perf_counter() - started)
    source.close()
    return measured


def test_streams_arrive_through_nginx_unbuffered_at_the_sub_path(server, nginx):
    log = server.log_dir / "app.log"
    log.write_text("ready\n")
    direct = latencies(server.address, log)
    proxied = latencies(nginx, log)
    print(
        f"append-to-receipt p50: direct {statistics.median(direct) * 1000:.2f} ms, "
        f"through nginx {statistics.median(proxied) * 1000:.2f} ms"
    )
    # Each line arrived on its own before the next was written; a buffering proxy
    # would hold these small events until a buffer filled or the stream ended.
    assert max(proxied) < 1.0


def test_reconnect_through_nginx_resumes(server, nginx):
    log = server.log_dir / "app.log"
    log.write_text("".join(f"line {i}\n" for i in range(5)))
    source = EventSource(nginx, f"{PREFIX}/stream/app.log", AUTH)
    assert source.read_lines(5) == [f"line {i}" for i in range(5)]
    source.close()
    with open(log, "a") as fh:
        fh.write("".join(f"line {i}\n" for i in range(5, 9)))
    source.reconnect()
    assert source.status == 200
    assert source.read_lines(4) == [f"line {i}" for i in range(5, 9)]
    source.close()


def test_the_index_and_auth_pass_through_nginx(server, nginx):
    base = f"http://{nginx[0]}:{nginx[1]}"
    if BAKED["auth"] == "basic":
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}{PREFIX}/", timeout=5)
        assert refused.value.code == 401
        assert refused.value.headers["WWW-Authenticate"].startswith("Basic ")
    request = urllib.request.Request(f"{base}{PREFIX}/")
    request.add_header("Authorization", "Basic " + base64.b64encode(":".join(AUTH).encode()).decode())
    with urllib.request.urlopen(request, timeout=5) as index:
        assert index.status == 200
    with urllib.request.urlopen(f"{base}/healthz", timeout=5) as health:
        assert health.status == 200
