"""Validate every answer before cookiecutter writes a file.

Each ``check_*`` function takes one answer and returns ``None`` when it is
acceptable, or one sentence naming the variable, the value and what is expected.
Answers are read through ``tojson`` so quotes and backslashes stay data.
The file also parses unrendered, so the tests import it directly.
"""

from __future__ import annotations

import keyword
import re
import sys

RESERVED_SLUGS = {"flask", "gevent", "gunicorn", "pygtail", "test", "tests", "werkzeug"}
URL_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)+")
CHOICES = {"auth": ("basic", "none"), "deployment": ("compose", "kubernetes")}


def _refuse(name: str, value: object, expected: str) -> str:
    return f"{name} {value!r} is not valid: expected {expected}."


def _integer_in(name: str, value: object, low: int, high: int) -> str | None:
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]+", text) or not low <= int(text) <= high:
        return _refuse(name, value, f"an integer from {low} to {high}")
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


def check_allowed_subdirectories(value: str) -> str | None:
    if not value.strip() or value.strip() == "*":
        return None
    expected = (
        "a comma-separated list of relative subdirectories like app,web/nginx "
        "(no empty entry, no absolute path, no ..), or * for all"
    )
    for entry in (part.strip() for part in value.split(",")):
        parts = entry.strip("/").split("/")
        if (
            not entry
            or entry.startswith(("/", "\\"))
            or re.match(r"[A-Za-z]:", entry)
            or any(c in entry for c in "\0\n\r\\*")
            or any(p in ("", ".", "..") for p in parts)
        ):
            return _refuse("allowed_subdirectories", value, expected)
    return None


def check_workers(value: object) -> str | None:
    return _integer_in("workers", value, 1, 128)


def check_port(value: object) -> str | None:
    return _integer_in("port", value, 1, 65535)


def check_backlog_lines(value: object) -> str | None:
    return _integer_in("backlog_lines", value, 0, 100000)


def check_choice(name: str, value: str) -> str | None:
    if value not in CHOICES[name]:
        return _refuse(name, value, " or ".join(CHOICES[name]))
    return None


def validate(answers: dict) -> list[str]:
    """Every refusal for a set of answers, in prompt order."""
    checks = [
        check_project_name(answers["project_name"]),
        check_project_slug(answers["project_slug"]),
        check_log_directory(answers["log_directory"]),
        check_url_prefix(answers["url_prefix"]),
        check_allowed_subdirectories(answers["allowed_subdirectories"]),
        check_workers(answers["workers"]),
        check_port(answers["port"]),
        check_choice("auth", answers["auth"]),
        check_choice("deployment", answers["deployment"]),
        check_backlog_lines(answers["backlog_lines"]),
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
    errors = validate(answers)
    for message in errors:
        print(f"ERROR: {message}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
