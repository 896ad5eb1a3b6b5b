#!/usr/bin/env python3
"""Bake the template with its defaults into demo/ and run it with the demo logger.

Creates .venv on first use. Prints the URL and the credentials, then serves
until Ctrl-C, SIGTERM or SIGHUP (or for --seconds), and then stops everything it
started. A port already taken is refused before anything starts. The demo logger writes demo/log_viewer/logs/
app.log and worker/jobs.log; the worker subdirectory is allowed for the demo.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _venv import ROOT, venv_python

DEMO = ROOT / "demo"


def wait_for(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("the service exited; see its output above")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"the service did not answer {url} within {timeout:.0f} s")


def wait_for_logs(paths: list[Path], logger: subprocess.Popen, timeout: float = 30.0) -> None:
    """Wait until the demo logger has created every file, so the URL printed shows them at once."""
    deadline = time.monotonic() + timeout
    while not all(path.exists() for path in paths):
        if logger.poll() is not None:
            sys.exit("the demo logger exited; see its output above")
        if time.monotonic() > deadline:
            sys.exit(f"the demo logger did not create {', '.join(map(str, paths))} within {timeout:.0f} s")
        time.sleep(0.1)


def interrupt(signum: int, frame: object) -> None:
    """SIGTERM and SIGHUP end the demo as Ctrl-C does: through ``finally``, which stops what it started."""
    raise KeyboardInterrupt


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main() -> None:
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=3001, help="port to serve on (default 3001)")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (default: until Ctrl-C)")
    args = parser.parse_args()
    if not port_is_free(args.port):
        sys.exit(f"port {args.port} is taken (another demo still running?): stop it, or pass --port")
    python = venv_python()
    bin_dir = python.parent
    shutil.rmtree(DEMO, ignore_errors=True)
    subprocess.run([bin_dir / "cookiecutter", "--no-input", "--output-dir", DEMO, ROOT], check=True)
    project = DEMO / "log_viewer"
    password = secrets.token_urlsafe(12)
    env = os.environ | {
        "LOG_VIEWER_PASSWORD": password,
        "LOG_VIEWER_ALLOWED_SUBDIRECTORIES": "worker",
        "LOG_VIEWER_BIND": f"127.0.0.1:{args.port}",
        "PYTHONPATH": str(project),
    }
    started: list[subprocess.Popen] = []
    try:
        logger = subprocess.Popen([python, "-m", "log_viewer.demo_logger", "--rate", "4"], cwd=project, env=env)
        started.append(logger)
        service = subprocess.Popen([bin_dir / "gunicorn", "-c", "gunicorn.conf.py"], cwd=project, env=env)
        started.append(service)
        wait_for(f"http://127.0.0.1:{args.port}/healthz", service)
        wait_for_logs([project / "logs" / "app.log", project / "logs" / "worker" / "jobs.log"], logger)
        print(
            f"\n  Log viewer: http://127.0.0.1:{args.port}/logs/"
            f"\n  Username:   admin\n  Password:   {password}\n  (Ctrl-C to stop)\n",
            flush=True,
        )
        if args.seconds:
            time.sleep(args.seconds)
        else:
            service.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop(started)


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM each, then wait for each (SIGKILL after 15 s); a second signal meanwhile does not cut it short."""
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, signal.SIG_IGN)
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
