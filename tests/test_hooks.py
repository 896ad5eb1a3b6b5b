"""The pre-generation hook's validation functions, imported directly."""

import importlib.util
import json

import pytest
from helpers import ROOT

spec = importlib.util.spec_from_file_location("pre_gen_project", ROOT / "hooks" / "pre_gen_project.py")
hook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hook)
rules = hook.load_rules(ROOT)  # the project's answers.py, as the hook reads it from the template


@pytest.mark.parametrize("value", ["log_viewer", "ops2", "_private", "a"])
def test_good_slugs(value):
    assert hook.check_project_slug(value) is None


@pytest.mark.parametrize("value", ["Log_Viewer", "2logs", "log-viewer", "class", "match", "", "café", "flask", "tests"])
def test_bad_slugs(value):
    message = hook.check_project_slug(value)
    assert message and message.startswith(f"project_slug {value!r} is not valid: expected")


@pytest.mark.parametrize("value", ["/logs", "/ops/logs", "/a.b/c_d/~e-f"])
def test_good_prefixes(value):
    assert hook.check_url_prefix(value) is None


BAD_PREFIXES = ["logs", "/logs/", "/", "", "/my logs", "/logs?x", "/logs#x", "/a/../b", "/..", "//logs"]


@pytest.mark.parametrize("value", BAD_PREFIXES)
def test_bad_prefixes(value):
    assert hook.check_url_prefix(value).startswith(f"url_prefix {value!r} is not valid")


@pytest.mark.parametrize("value", ["", "*", "app", "app,web/nginx", " app , web ", "app/"])
def test_good_subdirectories(value):
    assert hook.check_allowed_subdirectories(value, rules) is None


@pytest.mark.parametrize("value", ["/abs", "app,,web", "app,", "../up", "app/../..", "a\\b", "C:\\logs", "app,*"])
def test_bad_subdirectories(value):
    assert hook.check_allowed_subdirectories(value, rules).startswith("allowed_subdirectories")


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("workers", ["1", "4", "128", 16], ["0", "129", "-1", "four", "1.5", ""]),
        ("port", ["1", "3001", "65535"], ["0", "65536", "http", " "]),
        ("backlog_lines", ["0", "100"], ["-5", "lots"]),
    ],
)
def test_whole_numbers(name, good, bad):
    assert all(hook.check_whole_number(name, value, rules) is None for value in good)
    assert all("an integer from" in hook.check_whole_number(name, value, rules) for value in bad)


def test_the_prompts_say_the_bounds_of_the_rules():
    prompts = json.loads((ROOT / "cookiecutter.json").read_text())["__prompts__"]
    for name, bounds in rules.BOUNDS.items():
        if name in ("workers", "port"):
            assert f"({bounds['low']}-{bounds['high']})" in prompts[name], name


@pytest.mark.parametrize("value", ["", " ", "a\0b", "logs\n", "x\ry"])
def test_bad_log_directories(value):
    assert hook.check_log_directory(value).startswith("log_directory")


def test_choices():
    assert hook.check_choice("auth", "basic") is None
    assert hook.check_choice("auth", "oauth") == "auth 'oauth' is not valid: expected basic or none."
    assert hook.check_choice("deployment", "swarm").startswith("deployment 'swarm' is not valid")


def test_validate_reports_every_problem_in_order():
    answers = {
        "project_name": "X",
        "project_slug": "x",
        "log_directory": "logs",
        "url_prefix": "/l",
        "allowed_subdirectories": "",
        "workers": "0",
        "port": "0",
        "auth": "basic",
        "deployment": "compose",
        "backlog_lines": "100",
    }
    assert [m.split()[0] for m in hook.validate(answers, rules)] == ["workers", "port"]
