"""A small EventSource for tests: parses events, keeps the last id, resumes with it."""

from __future__ import annotations

import base64
import html
import http.client
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

_TAG = re.compile(r"<[^>]+>")
_POSITION = re.compile(r'<div class="l" data-at="([^"]+)">')


@dataclass
class Event:
    name: str
    id: str | None
    data: str
    s: int | None = None  # P/streams: which of the request's streams the event belongs to

    @property
    def lines(self) -> list[str]:
        """The text of each log line the event carries."""
        if self.name != "message":
            return []
        return [html.unescape(_TAG.sub("", line)) for line in self.data.split("\n")]

    @property
    def positions(self) -> list[str]:
        """The ``data-at`` of each log line the event carries."""
        return _POSITION.findall(self.data) if self.name == "message" else []


class EventSource:
    """One HTTP connection to a stream; ``reconnect()`` resumes with ``Last-Event-ID``."""

    def __init__(
        self,
        address: tuple[str, int],
        path: str,
        auth: tuple[str, str] | None = None,
        last_event_id: str | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.address, self.path, self.timeout = address, path, timeout
        self.headers = {"Accept": "text/event-stream"}
        if auth:
            self.headers["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
        self.last_event_id = last_event_id
        self.retry_ms: int | None = None
        self.connect()

    def connect(self) -> None:
        headers = dict(self.headers)
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        self.connection = http.client.HTTPConnection(*self.address, timeout=self.timeout)
        self.connection.request("GET", self.path, headers=headers)
        self.response = self.connection.getresponse()
        self.status = self.response.status

    def __enter__(self) -> EventSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def reconnect(self) -> None:
        self.close()
        self.connect()

    def close(self) -> None:
        self.connection.close()

    def events(self, within: float = 30.0) -> Iterator[Event]:
        """Events until the server ends the stream (comments and retry fields are consumed).

        ``TimeoutError`` after ``within`` seconds all told: heartbeats keep the
        socket busy, so its own timeout alone would let a lost line hang a test.
        """
        deadline = time.monotonic() + within
        name, event_id, data, tag = "message", None, [], None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no end of {self.path} within {within} s")
            self.connection.sock.settimeout(min(remaining, self.timeout))
            try:
                raw = self.response.readline()
            except TimeoutError:
                if time.monotonic() < deadline:
                    raise  # silence for the socket timeout: no heartbeat either
                raise TimeoutError(f"no end of {self.path} within {within} s") from None
            if not raw:
                return
            line = raw.decode("utf-8").rstrip("\n")
            if line == "":
                if data or event_id is not None:
                    if event_id is not None:
                        self.last_event_id = event_id
                    last = event_id if event_id is not None else self.last_event_id
                    yield Event(name, last, "\n".join(data), tag)
                name, event_id, data, tag = "message", None, [], None
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                data.append(value)
            elif field == "id":
                event_id = value
            elif field == "s":
                tag = int(value)
            elif field == "event":
                name = value
            elif field == "retry":
                self.retry_ms = int(value)

    def read_lines(self, count: int, within: float = 20.0) -> list[str]:
        """The next ``count`` log lines; fails, saying what came, if the stream ends or ``within`` s pass first."""
        lines: list[str] = []
        try:
            for event in self.events(within):
                lines += event.lines
                if len(lines) >= count:
                    return lines
        except TimeoutError as timeout:
            raise TimeoutError(f"{timeout}: waited for {count} lines, got {len(lines)}{_tail(lines)}") from None
        raise EOFError(f"stream ended after {len(lines)} of {count} lines{_tail(lines)}")


def _tail(lines: list[str]) -> str:
    return f", the last {lines[-3:]!r}" if lines else ""
