"""A browser-like EventSource client on gevent, for thousands of viewers in one process.

It reconnects after the server's ``retry`` (3 s when none is given), sends
``Last-Event-ID`` when it has one, and reports the log lines of each chunk it receives.
"""

from __future__ import annotations

import codecs
import html
import http.client
import re
import time
from collections.abc import Callable

import gevent
from gevent.event import Event

_TAG = re.compile(r"<[^>]+>")


class Viewer:
    """One simulated browser tab following one stream."""

    def __init__(
        self,
        address: tuple[str, int],
        path: str,
        headers: dict[str, str],
        on_lines: Callable[[Viewer, list[str], float], None],
    ) -> None:
        self.address, self.path, self.headers, self.on_lines = address, path, headers, on_lines
        self.last_event_id: str | None = None
        self.retry = 3.0
        self.connected = Event()
        self.connections = 0
        self.refusals = 0
        self.stopped = False
        self.greenlet: gevent.Greenlet | None = None

    def start(self) -> Viewer:
        self.greenlet = gevent.spawn(self._run)
        return self

    def stop(self) -> None:
        self.stopped = True
        if self.greenlet:
            self.greenlet.kill(block=False)

    def _run(self) -> None:
        while not self.stopped:
            connection = http.client.HTTPConnection(*self.address, timeout=60)
            try:
                headers = dict(self.headers)
                if self.last_event_id:
                    headers["Last-Event-ID"] = self.last_event_id
                connection.request("GET", self.path, headers=headers)
                response = connection.getresponse()
                if response.status != 200:
                    self.refusals += 1
                else:
                    self.connections += 1
                    self.connected.set()
                    self._read(response)
            except (OSError, http.client.HTTPException):
                pass
            finally:
                connection.close()
            gevent.sleep(self.retry)

    def _read(self, response: http.client.HTTPResponse) -> None:
        """Parse events in bulk, as a browser's parser would: whole chunks, not byte by byte."""
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        buffer = ""
        while True:
            chunk = response.read1(256 * 1024)
            if not chunk:
                return
            buffer += decoder.decode(chunk).replace("\r\n", "\n")
            *events, buffer = buffer.split("\n\n")
            texts: list[str] = []
            for event in events:
                data = []
                for line in event.split("\n"):
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field == "data":
                        data.append(value)
                    elif field == "id":
                        self.last_event_id = value
                    elif field == "retry" and value.isdigit():
                        self.retry = int(value) / 1000
                if data:
                    texts.append("\n".join(data))
            if texts:
                lines = html.unescape(_TAG.sub("", "\n".join(texts))).split("\n")
                self.on_lines(self, lines, time.perf_counter())
