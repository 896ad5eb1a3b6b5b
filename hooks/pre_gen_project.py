"""Validate every answer before cookiecutter writes a file.

Each ``check_*`` function takes one answer and returns ``None`` when it is
acceptable, or one sentence naming the variable, the value and what is expected.
Answers are read through ``tojson`` so quotes and backslashes stay data.
The file also parses unrendered, so the tests import it directly.

The rules the project applies again to its settings (the subdirectories, the
bounds of whole numbers) are not written here: they are read from the
template's own ``answers.py`` (``load_rules``), the file the project's
``config.py`` imports.
"""

from __future__ import annotations

import importlib.util
import keyword
import os
import re
import sys
from pathlib import Path
from types import ModuleType

RESERVED_SLUGS = {"flask", "gevent", "gunicorn", "pygtail", "test", "tests", "werkzeug"}
URL_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)+")
CHOICES = {"auth": ("basic", "none"), "deployment": ("compose", "kubernetes")}


def _refuse(name: str, value: object, expected: str) -> str:
    return f"{name} {value!r} is not valid: expected {expected}."


def load_rules(template: Path) -> ModuleType:
    """The project's ``answers.py`` in the template at ``template`` (its package directory is the one whose
    name is a template expression)."""
    braces = "{" * 2
    project = next(path for path in template.iterdir() if path.name.startswith(braces))
    package = next(path for path in project.iterdir() if path.name.startswith(braces))
    spec = importlib.util.spec_from_file_location("answers", package / "answers.py")
    rules = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rules)
    return rules


def template_directory() -> Path:
    """The template this hook runs from. cookiecutter names it (``_repo_dir``); cruft names its source
    (``_template``: a directory, or a repository it cloned), and runs its hooks, as cookiecutter does, from
    inside the template: the working directory of the process that started this one."""
    for named in ({{cookiecutter._repo_dir | default("") | tojson}}, {{cookiecutter._template | default("") | tojson}}):
        if named and (Path(named) / "cookiecutter.json").is_file():
            return Path(named)
    return Path(os.readlink(f"/proc/{os.getppid()}/cwd"))


def _ruled(rule, *arguments: object) -> str | None:
    """None when ``rule`` accepts the answer, else its sentence."""
    try:
        rule(*arguments)
    except ValueError as error:
        return str(error)
    return None


def check_project_name(value: str) -> str | None:
    if not str(value).strip():
        return _refuse("project_name", value, "a non-empty name")
    return None


def check_project_slug(value: str) -> str | None:
    expected = "a lowercase Python identifier that is not a keyword, like log_viewer"
    if not (value.isascii() and value.isidentifier() and value == value.lower()):
        return _refuse("project_slug", value, expected)
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return _refuse("project_slug", value, expected)
    if value in RESERVED_SLUGS:
        return _refuse("project_slug", value, "a name that does not shadow a dependency or the tests")
    return None


def check_log_directory(value: str) -> str | None:
    if not value.strip() or any(c in value for c in "\0\n\r"):
        return _refuse("log_directory", value, "a non-empty path without NUL or line breaks")
    return None


def check_url_prefix(value: str) -> str | None:
    segments = value.split("/")[1:]
    if not URL_PREFIX.fullmatch(value) or any(s in (".", "..") for s in segments):
        return _refuse(
            "url_prefix",
            value,
            "a path like /logs: a leading /, no trailing /, "
            "only letters, digits and . _ ~ - in its segments, and no . or .. segment",
        )
    return None


def check_allowed_subdirectories(value: str, rules: ModuleType) -> str | None:
    return _ruled(rules.subdirectories, value)


def check_whole_number(name: str, value: object, rules: ModuleType) -> str | None:
    """``workers``, ``port`` and ``backlog_lines``: within their bounds."""
    return _ruled(rules.whole_number, name, value)


def check_choice(name: str, value: str) -> str | None:
    if value not in CHOICES[name]:
        return _refuse(name, value, " or ".join(CHOICES[name]))
    return None


def validate(answers: dict, rules: ModuleType) -> list[str]:
    """Every refusal for a set of answers, in prompt order (``rules``: ``load_rules``)."""
    checks = [
        check_project_name(answers["project_name"]),
        check_project_slug(answers["project_slug"]),
        check_log_directory(answers["log_directory"]),
        check_url_prefix(answers["url_prefix"]),
        check_allowed_subdirectories(answers["allowed_subdirectories"], rules),
        check_whole_number("workers", answers["workers"], rules),
        check_whole_number("port", answers["port"], rules),
        check_choice("auth", answers["auth"]),
        check_choice("deployment", answers["deployment"]),
        check_whole_number("backlog_lines", answers["backlog_lines"], rules),
    ]
    return [message for message in checks if message]


def main() -> int:
    answers = {
        "project_name": {{cookiecutter.project_name | tojson}},
        "project_slug": {{cookiecutter.project_slug | tojson}},
        "log_directory": {{cookiecutter.log_directory | tojson}},
        "url_prefix": {{cookiecutter.url_prefix | tojson}},
        "allowed_subdirectories": {{cookiecutter.allowed_subdirectories | tojson}},
        "workers": {{cookiecutter.workers | tojson}},
        "port": {{cookiecutter.port | tojson}},
        "auth": {{cookiecutter.auth | tojson}},
        "deployment": {{cookiecutter.deployment | tojson}},
        "backlog_lines": {{cookiecutter.backlog_lines | tojson}},
    }
    errors = validate(answers, load_rules(template_directory()))
    for message in errors:
        print(f"ERROR: {message}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
