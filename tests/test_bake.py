"""Bake the template with supported and unsupported answers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, unrendered

SUPPORTED = {
    "defaults": {},
    "absolute-log-directory": {"log_directory": "/var/log/myapp"},
    "nested-prefix": {"url_prefix": "/ops/logs"},
    "subdirectories": {"allowed_subdirectories": "app,web/nginx"},
    "every-subdirectory": {"allowed_subdirectories": "*"},
    "one-worker": {"workers": "1"},
    "sixteen-workers": {"workers": "16"},
    "no-auth": {"auth": "none"},
    "kubernetes": {"deployment": "kubernetes"},
    "port-and-backlog": {"port": "8080", "backlog_lines": "500"},
    "accented-name": {"project_name": 'Café "Ops" Log\'s'},
}

UNSUPPORTED = {
    "slug-uppercase": ({"project_slug": "LogViewer"}, "project_slug 'LogViewer' is not valid"),
    "slug-keyword": ({"project_slug": "import"}, "project_slug 'import' is not valid"),
    "slug-from-digits": ({"project_name": "2024 logs"}, "project_slug '2024_logs' is not valid"),
    "log-directory-empty": ({"log_directory": ""}, "log_directory '' is not valid"),
    "log-directory-newline": ({"log_directory": "logs\nrm -rf /"}, "log_directory 'logs\\nrm -rf /' is not valid"),
    "prefix-no-slash": ({"url_prefix": "logs"}, "url_prefix 'logs' is not valid"),
    "prefix-trailing-slash": ({"url_prefix": "/logs/"}, "url_prefix '/logs/' is not valid"),
    "prefix-space": ({"url_prefix": "/my logs"}, "url_prefix '/my logs' is not valid"),
    "prefix-query": ({"url_prefix": "/logs?x=1"}, "url_prefix '/logs?x=1' is not valid"),
    "prefix-fragment": ({"url_prefix": "/logs#top"}, "url_prefix '/logs#top' is not valid"),
    "prefix-dotdot": ({"url_prefix": "/a/../logs"}, "url_prefix '/a/../logs' is not valid"),
    "subdirectory-absolute": ({"allowed_subdirectories": "/etc"}, "allowed_subdirectories '/etc' is not valid"),
    "subdirectory-dotdot": ({"allowed_subdirectories": "app,../x"}, "allowed_subdirectories 'app,../x' is not valid"),
    "subdirectory-empty": ({"allowed_subdirectories": "app,,web"}, "allowed_subdirectories 'app,,web' is not valid"),
    "workers-zero": ({"workers": "0"}, "workers '0' is not valid: expected an integer from 1 to 128"),
    "workers-too-many": ({"workers": "129"}, "workers '129' is not valid"),
    "workers-text": ({"workers": "four"}, "workers 'four' is not valid"),
    "port-zero": ({"port": "0"}, "port '0' is not valid: expected an integer from 1 to 65535"),
    "port-too-high": ({"port": "70000"}, "port '70000' is not valid"),
    "quotes-are-data": ({"url_prefix": '/x"); import os; os._exit(0); ("'}, "url_prefix"),
}

# cookiecutter itself refuses a value outside a choice variable's list, before any hook.
REFUSED_CHOICES = {
    "auth-unknown": ({"auth": "oauth"}, "oauth provided for choice variable auth, but the choices are"),
    "deployment-unknown": ({"deployment": "swarm"}, "swarm provided for choice variable deployment"),
}


def ruff(directory: Path, *command: str) -> str:
    """What ``ruff`` finds wrong in ``directory`` with its own settings; empty when nothing."""
    run = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "--no-cache", "."], cwd=directory, capture_output=True, text=True
    )
    return "" if run.returncode == 0 else run.stdout + run.stderr


def test_the_templates_own_code_is_lint_clean_and_formatted():
    assert ruff(ROOT, "check") == ""
    assert ruff(ROOT, "format", "--check") == ""


@pytest.mark.parametrize("answers", SUPPORTED.values(), ids=SUPPORTED.keys())
def test_supported_answers_bake_lint_clean(cookies, answers):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    assert result.exception is None
    project = result.project_path
    for key, value in answers.items():
        assert result.context[key] == value  # cookiecutter ignores unknown keys silently
    assert unrendered(project) == []
    assert ruff(project, "check") == ""
    assert ruff(project, "format", "--check") == ""
    compiled = subprocess.run([sys.executable, "-m", "compileall", "-q", "."], cwd=project, capture_output=True)
    assert compiled.returncode == 0
    replay = json.loads((project / ".cookiecutter-replay.json").read_text())["cookiecutter"]
    assert {k: replay[k] for k in answers} == answers
    assert (project / "docker-compose.yml").exists() == (answers.get("deployment", "compose") == "compose")
    assert (project / "kubernetes").exists() == (answers.get("deployment") == "kubernetes")


@pytest.mark.parametrize(("answers", "message"), UNSUPPORTED.values(), ids=UNSUPPORTED.keys())
def test_unsupported_answers_stop_in_the_pre_generation_hook(cookies, capfd, answers, message):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code != 0
    assert "pre_gen_project" in str(result.exception) or "Hook script failed" in str(result.exception)
    assert result.project_path is None or not result.project_path.exists()
    err = capfd.readouterr().err
    assert f"ERROR: {message}" in err


@pytest.mark.parametrize(("answers", "message"), REFUSED_CHOICES.values(), ids=REFUSED_CHOICES.keys())
def test_unknown_choices_are_refused_by_cookiecutter(cookies, answers, message):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code != 0
    assert message in str(result.exception)


def test_post_generation_hook_is_idempotent(cookies):
    result = cookies.bake(extra_context={"deployment": "kubernetes"})
    project = result.project_path
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    hook = str(ROOT / "hooks" / "post_gen_project.py")
    from cookiecutter.hooks import run_script_with_context

    run_script_with_context(hook, str(project), {"cookiecutter": dict(result.context)})
    run_script_with_context(hook, str(project), {"cookiecutter": dict(result.context)})
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_recorded_answers_regenerate_the_same_project(cookies, tmp_path):
    from cookiecutter.main import cookiecutter

    answers = {"project_name": "Ops Logs", "url_prefix": "/ops", "allowed_subdirectories": "app", "auth": "none"}
    project = cookies.bake(extra_context=answers).project_path
    again = Path(cookiecutter(str(ROOT), replay=str(project / ".cookiecutter-replay.json"), output_dir=str(tmp_path)))
    files = sorted(p.relative_to(project) for p in project.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((project / f).read_bytes() == (again / f).read_bytes() for f in files)
