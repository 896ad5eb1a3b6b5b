"""The tests' helpers and constants, in one place (tests import this module, never conftest)."""

from __future__ import annotations

import base64
import http.client
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from {{ cookiecutter.project_slug }}.config import BAKED, Settings
from {{ cookiecutter.project_slug }}.cursor import Cursor
from {{ cookiecutter.project_slug }}.tailer import Tailer

# Debian's Chromium, headless, as the browser tests (and the template's benchmark) launch it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PROJECT_ROOT = Path(__file__).resolve().parents[1]
PREFIX = BAKED["url_prefix"]
AUTH = ("admin", "integration-secret")


def require_tool(name: str) -> str:
    """The path of a program; skip without it, but fail in CI, where nothing may be skipped."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")  # logrotate, nginx: root's tools
    if path:
        return path
    message = f"{name} is not installed (apt-get install {name})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI installs it in .ci/run")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def authorization(auth: tuple[str, str] = AUTH) -> dict[str, str]:
    """The Basic ``Authorization`` header for ``auth``."""
    return {"Authorization": "Basic " + base64.b64encode(":".join(auth).encode()).decode()}


def fetch(
    address: tuple[str, int], path: str, headers: dict[str, str] | None = None, auth: tuple[str, str] | None = AUTH
) -> http.client.HTTPResponse:
    """A GET answered in full (``.status``, ``.headers``, ``.body``), with Basic credentials unless ``auth`` is None."""
    headers = dict(headers or {}) | (authorization(auth) if auth else {})
    connection = http.client.HTTPConnection(*address, timeout=15)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.body = response.read()
        return response
    finally:
        connection.close()


def make_tailer(log: Path, state: Path, cursor: Cursor | None = None, **values: object) -> Tailer:
    """A ``Tailer`` with the declared defaults and ``values`` (``backlog_lines``, ``batch_bytes``, ``guard``...)."""
    defaults = Settings()
    declared = {name: getattr(defaults, name) for name in ("backlog_lines", "max_line_length", "batch_bytes")}
    # Tests not about draining a renamed file move on at once (the declared wait is 1 s).
    values = declared | {"rotate_wait": 0.0, "guard": lambda path: True} | values
    return Tailer(log, state, cursor, **values)


# Playwright: the text of each element found.
LINES = "els => els.map(e => e.textContent)"


def logging_records(count: int) -> list[str]:
    """Python logging records of every level, some with a traceback after them, among JSON lines and a
    record with no level word at the level's column."""
    lines = []
    for i in range(count):
        level = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")[i % 5]
        lines.append(f"2026-11-25 03:00:{i % 60:02d},123 {level:<8} app.part{i % 3}: <message> & {i}")
        if i % 17 == 0:
            lines += ["Traceback (most recent call last):", "  File 'x', line 1", "KeyError: 'k'"]
        if i % 23 == 0:
            lines.append('{"level":"error","msg":"a JSON line among them"}')
        if i % 29 == 0:
            lines.append("2026-11-25 03:00:00,123 app: Information at the column, but no level word there")
    return lines


def numbered(start: int, stop: int) -> list[str]:
    """Lines ``line <start>`` to ``line <stop - 1>``: the tests' countable log lines."""
    return [f"line {i}" for i in range(start, stop)]


def numbered_text(start: int, stop: int) -> str:
    """``numbered`` lines as a log holds them, each with its newline."""
    return "".join(f"{line}\n" for line in numbered(start, stop))


def append(path: Path, text: str | bytes) -> None:
    """``text`` at the end of ``path``, as a writer appends it."""
    with open(path, "ab") as fh:
        fh.write(text.encode() if isinstance(text, str) else text)


def append_lines(path: Path, lines: list[str]) -> None:
    """Write ``lines`` at the end of ``path``, each with its newline."""
    with open(path, "a") as fh:
        fh.write("".join(f"{line}\n" for line in lines))


def writing_numbered(path: Path, start: int, stop: int, pause: float) -> threading.Thread:
    """A started thread appending ``line <n>`` for n in [start, stop), one at a time, ``pause`` s apart."""

    def write() -> None:
        for i in range(start, stop):
            append_lines(path, [f"line {i}"])
            time.sleep(pause)

    writer = threading.Thread(target=write)
    writer.start()
    return writer


def shown(page) -> list[str]:
    """The text of every line element of a viewer page."""
    return page.eval_on_selector_all("#log .l", LINES)


def scroll_up_once(page) -> None:
    """Scroll to the top and wait until older lines came (or the start of the file is shown)."""
    page.evaluate(
        """() => {
            const log = document.getElementById('log');
            window.firstBefore = log.querySelector('.l').textContent;
            log.scrollTop = 0;
        }"""
    )
    page.wait_for_function(
        "() => document.querySelector('#log .marker.edge')"
        " || document.querySelector('#log .l').textContent !== window.firstBefore",
        timeout=5000,
    )


def read_back_to(page, text: str) -> None:
    """Scroll up until the viewer's first line is ``text``: the lines a fast log skipped are read back."""
    page.bring_to_front()  # a page in the background has no frames, so no scroll events
    while page.text_content("#log .l") != text:
        scroll_up_once(page)


def open_viewer(page, name: str = "app.log") -> None:
    """Open the viewer of ``name`` and wait until its stream is live."""
    page.goto(f"{PREFIX}/view/{name}")
    page.wait_for_selector("#status[data-state=live]")


def wait_for_line(page, text: str, timeout: float = 5000) -> None:
    """Wait until a line element of the page has exactly ``text``."""
    page.wait_for_function(
        "text => [...document.querySelectorAll('#log .l')].some(e => e.textContent === text)",
        arg=text,
        timeout=timeout,
    )


# A regex with no literal to skip ahead with: ripgrep reads every byte.
HARD_PATTERN = r"[^\n]{70}\d{9}$"


def big_family(log: Path, siblings: int) -> None:
    """``log`` of 64 MB and ``siblings`` rotated copies (hard links): a search of it lasts seconds."""
    with open(log, "wb") as fh:
        fh.write(b"a line that the hard pattern never matches, padded out ......\n" * 1_000_000)
    for n in range(1, siblings + 1):
        os.link(log, log.with_name(f"{log.name}.{n}"))


def scans_of(pids: list[int]) -> dict[int, str]:
    """The processes a search of the processes ``pids`` runs (their children), with their command lines."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parent = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
        if parent in pids:
            found[int(entry)] = command or "(ended, not yet reaped)"
    return found
