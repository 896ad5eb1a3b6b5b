"""Each generated project's own test suite, run as its user would, in this virtualenv."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from conftest import IN_CI

COMBINATIONS = {
    "defaults": {},
    "subdirectories-no-auth-nested-prefix": {
        "allowed_subdirectories": "app,web/nginx", "auth": "none", "url_prefix": "/ops/logs", "workers": "2",
    },
    "every-subdirectory-kubernetes-accented": {
        "allowed_subdirectories": "*", "deployment": "kubernetes", "project_name": "Café \"Ops\" Log's",
        "log_directory": "/var/log/cafe",
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("answers", COMBINATIONS.values(), ids=COMBINATIONS.keys())
def test_generated_suite_passes(cookies, answers):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOG_VIEWER_")}
    env["PYTHONPATH"] = str(result.project_path)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=result.project_path, env=env, capture_output=True, text=True, timeout=900,
    )
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    print(f"{result.project_path.name}: {summary}")
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert re.search(r"\d+ passed", summary), summary
    if IN_CI:
        assert "skipped" not in summary, run.stdout[-3000:]
