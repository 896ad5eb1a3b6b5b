"""The README's demo command: bakes, starts the demo logger and the service, prints URL and password."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import time
import urllib.request

import pytest
from helpers import ROOT, free_port, stop_session


@pytest.mark.slow
def test_demo_command_serves_the_demo_logs():
    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--port", str(port), "--seconds", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        printed = ""
        deadline = time.monotonic() + 300
        while "Password:" not in printed:
            line = demo.stdout.readline()
            assert line and time.monotonic() < deadline, f"no URL printed: {printed[-2000:]}"
            printed += line
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
        demo.terminate()
        demo.wait(30)
        left = stop_session(demo.pid)
    assert left == [], f"the demo left these running after SIGTERM: {left}"
