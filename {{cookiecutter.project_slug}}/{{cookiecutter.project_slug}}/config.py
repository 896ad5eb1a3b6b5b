"""Settings: the baked answers, then environment overrides, validated once."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

PREFIX = "LOG_VIEWER_"

BAKED = {
    "log_directory": {{ cookiecutter.log_directory | tojson }},
    "allowed_subdirectories": {{ cookiecutter.allowed_subdirectories | tojson }},
    "url_prefix": {{ cookiecutter.url_prefix | tojson }},
    "auth": {{ cookiecutter.auth | tojson }},
    "backlog_lines": {{ cookiecutter.backlog_lines | int }},
}


class ConfigError(ValueError):
    """A setting the service cannot start with; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    """Everything the service needs, resolved and checked."""

    log_directory: Path
    allowed_subdirectories: tuple[str, ...] = ()
    any_subdirectory: bool = False
    url_prefix: str = BAKED["url_prefix"]
    auth: str = BAKED["auth"]
    username: str = "admin"
    password: str | None = None
    password_hash: str | None = None
    state_directory: Path | None = None
    backlog_lines: int = BAKED["backlog_lines"]
    max_line_length: int = 64 * 1024
    max_streams: int = 4000
    line_cap: int = 5000
    heartbeat_seconds: float = 15.0

    @property
    def allowed_directories(self) -> list[Path]:
        return [self.log_directory / sub for sub in self.allowed_subdirectories]


def parse_subdirectories(value: str, name: str = "allowed_subdirectories") -> tuple[tuple[str, ...], bool]:
    """``"app, web/nginx"`` -> (("app", "web/nginx"), False); ``"*"`` -> ((), True)."""
    value = value.strip()
    if not value:
        return (), False
    if value == "*":
        return (), True
    entries = []
    for entry in (part.strip() for part in value.split(",")):
        parts = entry.strip("/").split("/")
        if not entry or entry.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\0" in entry:
            raise ConfigError(
                f"{name} {value!r} is not valid: expected comma-separated relative subdirectories "
                "like app,web/nginx (no empty entry, no absolute path, no ..), or * for all."
            )
        entries.append(posixpath.normpath(entry))
    return tuple(entries), False


def _integer(name: str, value: str | int, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ConfigError(f"{name} {value!r} is not valid: expected an integer from {low} to {high}.")
    return number


def load_settings(environ: Mapping[str, str] = os.environ, overrides: Mapping[str, object] | None = None) -> Settings:
    """Baked values, then ``LOG_VIEWER_*`` variables, then ``overrides`` (for tests)."""
    env = {key[len(PREFIX) :].lower(): value for key, value in environ.items() if key.startswith(PREFIX)}
    directory = env.get("log_directory", BAKED["log_directory"])
    if not directory.strip():
        raise ConfigError(f"{PREFIX}LOG_DIRECTORY {directory!r} is not valid: expected a directory path.")
    subdirectories, any_subdirectory = parse_subdirectories(
        env.get("allowed_subdirectories", BAKED["allowed_subdirectories"]), f"{PREFIX}ALLOWED_SUBDIRECTORIES"
    )
    state = env.get("state_directory")
    settings = Settings(
        log_directory=Path(directory).expanduser().absolute(),
        allowed_subdirectories=subdirectories,
        any_subdirectory=any_subdirectory,
        username=env.get("username") or "admin",
        password=env.get("password") or None,
        password_hash=env.get("password_hash") or None,
        state_directory=Path(state).absolute() if state else None,
        backlog_lines=_integer(f"{PREFIX}BACKLOG_LINES", env.get("backlog_lines", BAKED["backlog_lines"]), 0, 100000),
        max_line_length=_integer(f"{PREFIX}MAX_LINE_LENGTH", env.get("max_line_length", 65536), 80, 16 * 1024 * 1024),
        max_streams=_integer(f"{PREFIX}MAX_STREAMS", env.get("max_streams", 4000), 1, 1_000_000),
        line_cap=_integer(f"{PREFIX}LINE_CAP", env.get("line_cap", 5000), 100, 1_000_000),
    )
    if overrides:
        known = {f.name for f in fields(Settings)}
        unknown = set(overrides) - known
        if unknown:
            raise ConfigError(f"unknown settings {sorted(unknown)}: expected some of {sorted(known)}.")
        settings = replace(settings, **overrides)
    state, logs = settings.state_directory, settings.log_directory
    if state and (state.resolve().is_relative_to(logs.resolve()) or logs.resolve().is_relative_to(state.resolve())):
        raise ConfigError(
            f"{PREFIX}STATE_DIRECTORY {str(state)!r} is not valid: expected a directory outside the log directory "
            "(the viewer never writes where the logs are)."
        )
    if settings.auth == "basic" and not (settings.password or settings.password_hash):
        raise ConfigError(
            f"auth is basic but neither {PREFIX}PASSWORD nor {PREFIX}PASSWORD_HASH is set: "
            "set one of them (the username defaults to admin), or bake the project with auth=none."
        )
    return settings
