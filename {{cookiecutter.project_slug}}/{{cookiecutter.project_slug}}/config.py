"""Settings: each option declared once, as a field of ``Settings``.

A declaration holds the name, the type, the default, the bounds and a one-line
meaning. Everything else derives from it: the ``LOG_VIEWER_*`` variables and
their checks (``load_settings``), the blueprint's keywords (``blueprint_options``)
and the README's table (``settings_table``; a test fails, showing it, when the README differs).
"""

from __future__ import annotations

import difflib
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path

from . import answers

PREFIX = "LOG_VIEWER_"

BAKED = {
    "log_directory": {{ cookiecutter.log_directory | tojson }},
    "allowed_subdirectories": {{ cookiecutter.allowed_subdirectories | tojson }},
    "url_prefix": {{ cookiecutter.url_prefix | tojson }},
    "auth": {{ cookiecutter.auth | tojson }},
    "backlog_lines": {{ cookiecutter.backlog_lines | int }},
    "workers": {{ cookiecutter.workers | int }},
    "port": {{ cookiecutter.port | int }},
}

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


class ConfigError(ValueError):
    """A setting the service cannot start with; the message says which and why."""


def parse_subdirectories(value: str, name: str = "allowed_subdirectories") -> tuple[str, ...]:
    """``"app, web/nginx"`` -> ``("app", "web/nginx")``; ``"*"`` -> ``("*",)``: the template's rule (``answers``)."""
    try:
        return answers.subdirectories(value, name)
    except answers.AnswerError as error:
        raise ConfigError(str(error)) from None


NODE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252})")


def _node_name(text: str, name: str, spec: Spec) -> str:
    if not NODE_NAME.fullmatch(text.strip()):
        raise ConfigError(
            f"{name} {text!r} is not valid: expected a node name of letters, digits, '.', '_' and '-' "
            "(at most 253, starting with a letter or digit)."
        )
    return text.strip()


def parse_peers(text: str, name: str = "peers") -> tuple[tuple[str, int | None], ...]:
    """``"10.0.0.2:3001, b.example:3001"`` -> ``(("10.0.0.2", 3001), ("b.example", 3001))``.

    The port may be left out (the service's own is meant); IPv6 addresses go in
    brackets. One name alone is a DNS name whose records are the peers.
    """
    peers = []
    for entry in (part.strip() for part in text.split(",")) if text.strip() else ():
        found = re.fullmatch(r"(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})))(?::(\d{1,5}))?", entry)
        port = int(found.group(3)) if found and found.group(3) else None
        ports = answers.BOUNDS["port"]
        if not found or (port is not None and not ports["low"] <= port <= ports["high"]):
            raise ConfigError(
                f"{name} {text!r} is not valid: expected comma-separated host:port entries "
                "(10.0.0.2:3001, [fd00::2]:3001, node-b.example:3001), or one DNS name whose records are the peers."
            )
        peers.append((found.group(1) or found.group(2), port))
    return tuple(peers)


def _peers(text: str, name: str, spec: Spec) -> tuple[tuple[str, int | None], ...]:
    return parse_peers(text, name)


def _integer(text: str, name: str, spec: Spec) -> int:
    return _within(text, name, spec, int)


def _number(text: str, name: str, spec: Spec) -> float:
    return _within(text, name, spec, float)


def _within(text: str, name: str, spec: Spec, kind: type) -> int | float:
    try:
        value = kind(text.strip())
    except ValueError:
        value = None
    if value is None or not spec.low <= value <= spec.high:
        raise ConfigError(f"{name} {text!r} is not valid: expected {spec.allowed}.")
    return value


def _text(text: str, name: str, spec: Spec) -> str:
    if spec.choices and text.strip().lower() not in spec.choices:
        raise ConfigError(f"{name} {text!r} is not valid: expected {spec.allowed}.")
    return text.strip().lower() if spec.choices else text


def _path(text: str, name: str, spec: Spec) -> Path:
    if not text.strip():
        raise ConfigError(f"{name} {text!r} is not valid: expected a directory path.")
    return Path(text)


def _subdirectories(text: str, name: str, spec: Spec) -> tuple[str, ...]:
    return parse_subdirectories(text, name)


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


@dataclass(frozen=True)
class Spec:
    """How one option is read and shown: its meaning, parser, bounds, and where it applies."""

    meaning: str
    parse: Callable[[str, str, Spec], object]
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    shown: str | None = None  # the default as the README shows it, when not the value itself
    environment: bool = True  # read from LOG_VIEWER_<NAME>
    blueprint: bool = False  # also a keyword of log_viewer_blueprint()

    @property
    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.low is not None:
            kind = "an integer" if self.parse is _integer else "a number"
            return f"{kind} from {_number_text(self.low)} to {_number_text(self.high)}"
        return {_path: "a directory path", _node_name: "a node name", _peers: "host:port list, or a DNS name"}.get(
            self.parse, "text"
        )


def option(default: object, meaning: str, parse=_text, **spec: object) -> Field:
    """A field of ``Settings``: its default and its ``Spec``."""
    return field(default=default, metadata={"spec": Spec(meaning, parse, **spec)})


@dataclass(frozen=True)
class Settings:
    """Every option of the service, the server's own included, resolved and checked."""

    log_directory: Path = option(
        Path(BAKED["log_directory"]),
        "the log directory; a relative path is relative to this project's root",
        _path,
        shown=BAKED["log_directory"],
    )
    allowed_subdirectories: tuple[str, ...] = option(
        parse_subdirectories(BAKED["allowed_subdirectories"]),
        "comma-separated subdirectories that may be viewed too, `*` for all",
        _subdirectories,
        shown=BAKED["allowed_subdirectories"] or "none",
    )
    url_prefix: str = option(BAKED["url_prefix"], "where the viewer is mounted (baked)", environment=False)
    auth: str = option(BAKED["auth"], "basic or none (baked)", environment=False)
    username: str = option("admin", "Basic-auth user name")
    password: str | None = option(None, "Basic-auth password", shown="none")
    password_hash: str | None = option(
        None,
        "instead of a clear password, a werkzeug hash "
        "(`python -c \"from werkzeug.security import generate_password_hash as g; print(g('secret'))\"`)",
        shown="none",
    )
    state_directory: Path | None = option(
        None,
        "where offset files go; refused inside the log directory",
        _path,
        shown="a private temporary directory",
        blueprint=True,
    )
    backlog_lines: int = option(
        BAKED["backlog_lines"],
        "lines a new viewer gets from the end of the file",
        _integer,
        **answers.BOUNDS["backlog_lines"],
        blueprint=True,
    )
    max_line_length: int = option(
        64 * 1024,
        "longer lines are cut, with a marker (characters)",
        _integer,
        low=80,
        high=16 * 1024 * 1024,
        blueprint=True,
    )
    max_streams: int = option(
        4000, "open streams per worker; past it, `503`", _integer, low=1, high=1_000_000, blueprint=True
    )
    max_searches: int = option(
        2, "searches running at once per worker; past it, `429`", _integer, low=1, high=64, blueprint=True
    )
    line_cap: int = option(5000, "lines the viewer page keeps", _integer, low=100, high=1_000_000, blueprint=True)
    heartbeat_seconds: float = option(
        15.0, "longest silence on a stream before a comment line is sent", _number, low=1, high=300, blueprint=True
    )
    poll_interval: float = option(
        0.5,
        "seconds between looks at a file where inotify does not reach",
        _number,
        low=0.05,
        high=60,
        blueprint=True,
    )
    batch_bytes: int = option(
        128 * 1024,
        "most bytes of log read into one event, and a stream socket's send buffer: a client that stops reading "
        "holds about this much",
        _integer,
        low=4096,
        high=16 * 1024 * 1024,
        blueprint=True,
    )
    stall_seconds: float = option(
        60.0,
        "a client that takes longer than this to accept one event is dropped",
        _number,
        low=1,
        high=3600,
        blueprint=True,
    )
    rotate_wait_seconds: float = option(
        1.0,
        "a renamed log must be quiet this long before a stream moves on to the new file "
        "(its writer may still append to it)",
        _number,
        low=0,
        high=60,
        blueprint=True,
    )
    retry_ms: int = option(
        1000,
        "how long a browser waits before it reconnects (milliseconds)",
        _integer,
        low=100,
        high=600_000,
        blueprint=True,
    )
    node_name: str = option(
        socket.gethostname(),
        "this node's name in a cluster (the DaemonSet sets the Kubernetes node's)",
        _node_name,
        shown="the host name",
        blueprint=True,
    )
    peers: tuple[tuple[str, int | None], ...] = option(
        (),
        "the other nodes: comma-separated `host:port`, or one DNS name whose A/AAAA records are the peers "
        "(re-resolved as they change); the port defaults to this service's",
        _peers,
        shown="none",
        blueprint=True,
    )
    peer_timeout_seconds: float = option(
        1.5,
        "how long the index waits for a peer's file list, and a relay for a peer to answer",
        _number,
        low=0.1,
        high=60,
        blueprint=True,
    )
    bind: str = option(f"127.0.0.1:{BAKED['port']}", "gunicorn's listening address")
    workers: int = option(BAKED["workers"], "gunicorn worker processes", _integer, **answers.BOUNDS["workers"])
    log_level: str = option("info", "gunicorn's log level", choices=LOG_LEVELS)

    @property
    def port(self) -> int:
        """The port of ``bind`` (the baked one when it names a socket file): where peers listen too."""
        tail = self.bind.rpartition(":")[2]
        return int(tail) if tail.isdigit() else BAKED["port"]

    @property
    def any_subdirectory(self) -> bool:
        return "*" in self.allowed_subdirectories

    @property
    def allowed_directories(self) -> list[Path]:
        return [self.log_directory / sub for sub in self.allowed_subdirectories if sub != "*"]


SPECS: dict[str, Spec] = {f.name: f.metadata["spec"] for f in fields(Settings)}
VARIABLES: dict[str, str] = {PREFIX + name.upper(): name for name, spec in SPECS.items() if spec.environment}


def _check_bounds(values: Mapping[str, object]) -> None:
    """Bounds of values given in code (the blueprint's keywords, a test's overrides)."""
    for name, value in values.items():
        spec = SPECS[name]
        if spec.low is not None and not (isinstance(value, int | float) and spec.low <= value <= spec.high):
            raise ConfigError(f"{name} {value!r} is not valid: expected {spec.allowed}.")


def read_environment(environ: Mapping[str, str]) -> dict[str, object]:
    """The options set by ``LOG_VIEWER_*`` variables, parsed; a misspelt or bad one is refused."""
    values: dict[str, object] = {}
    for variable, text in environ.items():
        if not variable.startswith(PREFIX):
            continue
        if variable not in VARIABLES:
            nearest = difflib.get_close_matches(variable, VARIABLES, n=1, cutoff=0.6)
            hint = f"did you mean {nearest[0]}?" if nearest else f"the settings are {', '.join(VARIABLES)}."
            raise ConfigError(f"{variable} is not a setting of this service: {hint}")
        name = VARIABLES[variable]
        values[name] = SPECS[name].parse(text, variable, SPECS[name])
    return values


def blueprint_options(options: Mapping[str, object]) -> Settings:
    """Settings from the blueprint's keywords (the options marked ``blueprint``); others are refused."""
    known = sorted(name for name, spec in SPECS.items() if spec.blueprint)
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(f"log_viewer_blueprint() got unknown options {unknown}: expected some of {known}.")
    _check_bounds(options)
    return replace(Settings(), **options)


def load_settings(environ: Mapping[str, str] = os.environ, overrides: Mapping[str, object] | None = None) -> Settings:
    """Defaults (the baked answers among them), then ``LOG_VIEWER_*`` variables, then ``overrides`` (for tests)."""
    values = read_environment(environ)
    unknown = sorted(set(overrides or {}) - set(SPECS))
    if unknown:
        raise ConfigError(f"unknown settings {unknown}: expected some of {sorted(SPECS)}.")
    _check_bounds(overrides or {})
    settings = Settings(**values | dict(overrides or {}))
    state = settings.state_directory
    settings = replace(
        settings,
        log_directory=Path(settings.log_directory).expanduser().absolute(),
        state_directory=Path(state).expanduser().absolute() if state else None,
    )
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


def settings_table() -> str:
    """The README's table of ``LOG_VIEWER_*`` variables, from the declarations."""
    rows = ["| variable | default | allowed | meaning |", "|---|---|---|---|"]
    for declared in fields(Settings):
        spec = declared.metadata["spec"]
        if spec.environment:
            default = spec.shown if spec.shown is not None else declared.default
            allowed = spec.allowed if spec.low is not None or spec.choices else ""
            rows.append(f"| `{PREFIX}{declared.name.upper()}` | {default} | {allowed} | {spec.meaning} |")
    return "\n".join(rows)
