"""Each generated project's own test suite, run as its user would, in this virtualenv."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from helpers import IN_CI, stop_session

SUITE_TIMEOUT = 600  # seconds for one whole generated suite; its own tests each have a timeout of their own

# The defaults run the whole suite; the other bakes run the tests marked ``answers``: those
# whose outcome their answers can change (config, routes under the prefix, auth, nginx, the index page).
ANSWER_DEPENDENT = ("-m", "answers")
COMBINATIONS = {
    "defaults": {},
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


def run_suite(project, *arguments: str) -> str:
    """The project's pytest in a session of its own; whatever it started is stopped when it ends, however it ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOG_VIEWER_")}
    suite = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", *arguments],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
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


@pytest.mark.slow
@pytest.mark.parametrize("answers", COMBINATIONS.values(), ids=COMBINATIONS.keys())
def test_generated_suite_passes(cookies, answers):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    output = run_suite(result.project_path, *(ANSWER_DEPENDENT if answers else ()))
    summary = output.strip().splitlines()[-1]
    print(f"{result.project_path.name}: {summary}")
    assert re.search(r"\d+ passed", summary), summary
    if not answers:  # the whole suite: nothing left out by a marker or a -k
        assert "deselected" not in summary, summary
    if IN_CI:
        assert "skipped" not in summary, output[-3000:]
