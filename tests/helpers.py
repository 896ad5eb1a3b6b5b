"""The template tests' helpers, in one place (tests import this module, never conftest)."""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IN_CI = bool(os.environ.get("CI"))


def require_tool(name: str, install: str) -> str:
    """The path of a program; skip without it, but fail in CI, where nothing may be skipped."""
    path = shutil.which(name)
    if path:
        return path
    if IN_CI:
        pytest.fail(f"{name} is missing in CI: {install}")
    pytest.skip(f"{name} is not installed ({install})")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Return once ``url`` answers 200; fail with the process's output if it exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            output = process.communicate()[0] or ""
            output = output.decode(errors="replace") if isinstance(output, bytes) else output
            pytest.fail(f"{url} did not answer in {timeout} s: {output[-3000:]}")
        time.sleep(0.2)


def stop_session(session: int) -> list[str]:
    """SIGKILL every live process left in a session (``start_new_session=True``); their command lines.

    Zombies are skipped: they have ended, and reaping them is their parent's (or init's) job.
    """
    stopped = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == session and fields[0] != "Z":  # after the name: state, ppid, pgrp, session
                pid = int(stat.parent.name)
                stopped.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:120])
                os.kill(pid, signal.SIGKILL)
        except (OSError, IndexError, ValueError):
            continue
    return stopped


def become_subreaper() -> None:
    """Orphans of this process's descendants are re-parented here, so ``live_descendants`` sees every leak."""
    PR_SET_CHILD_SUBREAPER = 36
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def live_descendants(pid: int | None = None) -> dict[int, str]:
    """Processes below ``pid`` (this one by default) that are still running (not zombies): pid -> command."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                child = int(stat.parent.name)
                parents[child] = int(fields[1])
                commands[child] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = {}, {pid or os.getpid()}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier and child not in found}
        found.update({child: commands[child] for child in frontier})
    return found


def unrendered(project: Path) -> list[str]:
    """Files that still hold a cookiecutter variable or tag after rendering."""
    pattern = re.compile(r"{{\s*cookiecutter\.|{%-?\s*(if|for|raw)\b[^%]*cookiecutter")
    found = []
    for path in project.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            if pattern.search(text) or "cookiecutter.project_slug" in path.name:
                found.append(str(path.relative_to(project)))
    return found
