"""The README's demo command: bakes, starts the demo logger and the service, prints URL and password."""

from __future__ import annotations

import base64
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from helpers import ROOT, free_port, stop_session


def start_demo(port: int) -> tuple[subprocess.Popen, str]:
    """The README's demo command on ``port``, in a session of its own; its output up to the password."""
    demo = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    printed = ""
    deadline = time.monotonic() + 300
    while "Password:" not in printed:
        line = demo.stdout.readline()
        if not line or time.monotonic() > deadline:
            stop_session(demo.pid)
            pytest.fail(f"no URL printed: {printed[-2000:]}")
        printed += line
    return demo, printed


def stop_demo(demo: subprocess.Popen, signum: int) -> list[str]:
    """Signal the demo as a user or a supervisor would; what it left running (then killed)."""
    demo.send_signal(signum)
    try:
        demo.wait(30)
    finally:
        left = stop_session(demo.pid)
    return left


@pytest.mark.slow
def test_demo_command_serves_the_demo_logs():
    port = free_port()
    demo, printed = start_demo(port)
    try:
        assert f"http://127.0.0.1:{port}/logs/" in printed
        password = re.search(r"Password:\s+(\S+)", printed).group(1)
        credentials = base64.b64encode(f"admin:{password}".encode()).decode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/logs/")
        request.add_header("Authorization", f"Basic {credentials}")
        with urllib.request.urlopen(request, timeout=5) as index:
            page = index.read().decode()
        assert "app.log" in page and "worker/jobs.log" in page
        request = urllib.request.Request(f"http://127.0.0.1:{port}/logs/stream/worker/jobs.log")
        request.add_header("Authorization", f"Basic {credentials}")
        with urllib.request.urlopen(request, timeout=10) as stream:
            received = b""
            while b"demo.jobs:" not in received:
                received += stream.read1(4096)
    finally:
        left = stop_demo(demo, signal.SIGTERM)
    assert left == [], f"the demo left these running after SIGTERM: {left}"


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGINT], ids=["SIGHUP", "SIGINT"])
def test_a_second_demo_on_the_port_says_so_and_a_signal_stops_everything(signum):
    port = free_port()
    demo, _ = start_demo(port)
    try:
        second = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "demo.py"), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode != 0
        assert f"port {port} is taken" in second.stderr
    finally:
        left = stop_demo(demo, signum)
    assert demo.returncode is not None
    assert left == [], f"the demo left these running after {signal.Signals(signum).name}: {left}"
