"""Each generated project's own test suite, run as its user would.

The defaults are baked and their README followed as written, in a virtualenv of their own: its run
command serves the demo logs, then its test command runs the whole suite. The other bakes run the
tests marked ``answers`` (those whose outcome their answers can change: config, routes under the
prefix, auth, nginx, the index page) in this virtualenv.
"""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import IN_CI, stop_session

SUITE_TIMEOUT = 900  # seconds for one whole generated suite (and its install); its tests each have a timeout too
SERVE_TIMEOUT = 300  # seconds for the README's run command to install and serve

ANSWER_DEPENDENT = ("-m", "answers")
COMBINATIONS = {
    "subdirectories-no-auth-nested-prefix": {
        "allowed_subdirectories": "app,web/nginx",
        "auth": "none",
        "url_prefix": "/ops/logs",
        "workers": "2",
    },
    "every-subdirectory-kubernetes-accented": {
        "allowed_subdirectories": "*",
        "deployment": "kubernetes",
        "project_name": 'Café "Ops" Log\'s',
        "log_directory": "/var/log/cafe",
    },
}


def user_environment() -> dict[str, str]:
    """This environment as a user's shell would have it: no settings of ours, no virtualenv active."""
    ours = Path(sys.prefix, "bin")
    path = os.pathsep.join(part for part in os.environ["PATH"].split(os.pathsep) if Path(part) != ours)
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("LOG_VIEWER_") and k != "VIRTUAL_ENV"},
        "PATH": path,
    }


def readme_commands(project: Path, heading: str) -> str:
    """The shell block under ``heading`` in the generated README, as a user would paste it."""
    readme = (project / "README.md").read_text()
    found = re.search(rf"^{re.escape(heading)}\n.*?```sh\n(.*?)```", readme, re.DOTALL | re.MULTILINE)
    assert found, f"the README has no shell block under {heading!r}"
    return found.group(1)


def start_as_user(project: Path, command: list[str]) -> subprocess.Popen:
    """``command`` in the project, in a session of its own (stopped whole), its output collected."""
    return subprocess.Popen(
        command,
        cwd=project,
        env=user_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def run_suite(project, command: list[str]) -> str:
    """The project's tests in a session of its own; whatever it started is stopped when it ends, however it ends."""
    suite = start_as_user(project, command)
    try:
        output, _ = suite.communicate(timeout=SUITE_TIMEOUT)
    except subprocess.TimeoutExpired:
        stop_session(suite.pid)
        output, _ = suite.communicate()
        running = [line for line in output.splitlines() if "::" in line][-1:]
        pytest.fail(f"{project.name}: the suite ran over {SUITE_TIMEOUT} s, in {running}\n{output[-4000:]}")
    finally:
        left = stop_session(suite.pid)
    failed = [line for line in output.splitlines() if line.startswith(("FAILED", "ERROR"))]
    assert suite.returncode == 0, "\n".join(failed) + "\n" + output[-6000:]
    assert not left, f"{project.name}: processes left running by the suite: {left}"
    return output


def passed(project: Path, output: str) -> str:
    """The suite's summary line, which must say that tests passed and, in CI, that none was skipped."""
    summary = output.strip().splitlines()[-1]
    print(f"{project.name}: {summary}")
    assert re.search(r"\d+ passed", summary), summary
    if IN_CI:
        assert "skipped" not in summary, output[-3000:]
    return summary


def answers_index(port: int, prefix: str, password: str, deadline: float, session: int) -> str:
    """The index page, once the service answers it (the install comes first: minutes on a cold cache)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{prefix}/")
    request.add_header("Authorization", "Basic " + base64.b64encode(f"admin:{password}".encode()).decode())
    while True:
        try:
            with urllib.request.urlopen(request, timeout=2) as answer:
                page = answer.read().decode()
                if "worker/jobs.log" in page:  # the demo logger has written both its files
                    return page
        except OSError:
            pass
        assert time.monotonic() < deadline, f"nothing served on port {port} in {SERVE_TIMEOUT} s"
        assert Path(f"/proc/{session}").exists(), "the README's run command ended"
        time.sleep(0.5)


@pytest.mark.slow
def test_generated_readme_run_and_test_commands_work_as_written(cookies):
    """The defaults' README, followed as written: install and run, the demo logs served; then the tests."""
    result = cookies.bake()
    assert result.exit_code == 0, result.exception
    project = result.project_path
    run = readme_commands(project, "## Install and run")
    opened = re.search(r"Then open `http://127\.0\.0\.1:(\d+)(/[^`]*)/`", (project / "README.md").read_text())
    port, prefix = int(opened.group(1)), opened.group(2)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port}, the README's, is taken on this machine"
    password = re.search(r"LOG_VIEWER_PASSWORD='([^']+)'", run).group(1)
    service = start_as_user(project, ["bash", "-ec", run])
    try:
        index = answers_index(port, prefix, password, time.monotonic() + SERVE_TIMEOUT, service.pid)
        assert "app.log" in index
    except AssertionError:
        stop_session(service.pid)
        raise AssertionError(service.communicate()[0][-4000:]) from None
    finally:
        stop_session(service.pid)
        service.wait()
    tests = readme_commands(project, "## Tests")
    output = run_suite(project, ["bash", "-ec", f". .venv/bin/activate\n{tests}"])
    summary = passed(project, output)
    assert "deselected" not in summary, summary  # the whole suite: nothing left out by a marker or a -k


@pytest.mark.slow
@pytest.mark.parametrize("answers", COMBINATIONS.values(), ids=COMBINATIONS.keys())
def test_generated_suite_passes(cookies, answers):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    command = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", *ANSWER_DEPENDENT]
    passed(result.project_path, run_suite(result.project_path, command))
