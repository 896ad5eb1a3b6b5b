"""The rules of the template's answers, in the one file the template and the project both read.

The template's pre-generation hook loads this file from the template itself,
before the project exists (it holds no template syntax: it reads the same
rendered or not); the settings (``config``) import it, so a ``LOG_VIEWER_*``
variable that overrides a baked answer meets the same rule.
``cookiecutter.json``'s prompts say the same bounds (a template test keeps them
in step).
"""

from __future__ import annotations

import posixpath
import re

# Whole-number answers: their bounds, as keywords of a setting's declaration (``config.option``).
BOUNDS = {
    "workers": {"low": 1, "high": 128},
    "port": {"low": 1, "high": 65535},
    "backlog_lines": {"low": 0, "high": 100_000},
}
ALL = "*"  # every subdirectory
SUBDIRECTORIES = (
    "comma-separated relative subdirectories like app,web/nginx (no empty entry, no absolute path, no .., "
    "no backslash or *), or * for all"
)


class AnswerError(ValueError):
    """An answer its rule refuses; the message names it, its value and what is expected."""


def refusal(name: str, value: object, expected: str) -> str:
    return f"{name} {value!r} is not valid: expected {expected}."


def whole_number(name: str, value: object) -> int:
    """A whole-number answer (``workers``, ``port``, ``backlog_lines``) within its ``BOUNDS``."""
    low, high = BOUNDS[name]["low"], BOUNDS[name]["high"]
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]+", text) or not low <= int(text) <= high:
        raise AnswerError(refusal(name, value, f"an integer from {low} to {high}"))
    return int(text)


def subdirectories(value: str, name: str = "allowed_subdirectories") -> tuple[str, ...]:
    """``"app, web/nginx"`` -> ``("app", "web/nginx")``; ``"*"`` -> ``("*",)``, every subdirectory; ``""``: none."""
    value = value.strip()
    if value in ("", ALL):
        return (value,) if value else ()
    entries = []
    for entry in (part.strip() for part in value.split(",")):
        parts = entry.strip("/").split("/")
        if (
            not entry
            or entry.startswith("/")
            or re.match(r"[A-Za-z]:", entry)  # a Windows drive
            or any(c in entry for c in "\0\n\r\\*")
            or any(p in ("", ".", "..") for p in parts)
        ):
            raise AnswerError(refusal(name, value, SUBDIRECTORIES))
        entries.append(posixpath.normpath(entry))
    return tuple(entries)
