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
# The fields of whole events at once, in C: a browser's parser is not the bottleneck either.
# Each pattern starts with a literal, which the engine finds with a fast search.
_DATA = re.compile(r"\ndata: ?([^\n]*)")
_ID = re.compile(r"\nid: ?([^\n]*)")
_RETRY = re.compile(r"\nretry: ?(\d+)")


class Viewer:
    """One simulated browser tab following one stream."""

    def __init__(
        self,
        address: tuple[str, int],
        path: str,
        headers: dict[str, str],
        on_lines: Callable[[Viewer, list[str], float], None],
        raw: bool = False,
    ) -> None:
        self.address, self.path, self.headers, self.on_lines = address, path, headers, on_lines
        self.raw = raw  # on_lines gets the stream's bytes as read (fields, markup and all)
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
        if self.raw:
            self._read_raw(response)
            return
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        buffer = ""
        while True:
            chunk = response.read1(256 * 1024)
            if not chunk:
                return
            buffer += decoder.decode(chunk).replace("\r\n", "\n")
            *events, buffer = buffer.split("\n\n")
            if not events:
                continue
            block = "\n" + "\n".join(events)
            ids = _ID.findall(block)
            if ids:
                self.last_event_id = ids[-1]
            retry = _RETRY.findall(block)
            if retry:
                self.retry = int(retry[-1]) / 1000
            texts = _DATA.findall(block)
            if texts:
                lines = html.unescape(_TAG.sub("", "\n".join(texts))).split("\n")
                self.on_lines(self, lines, time.perf_counter())

    def _read_raw(self, response: http.client.HTTPResponse) -> None:
        """The stream's bytes as read, piece by piece, uncopied: a piece may end inside an event or a line, and
        the caller counts what it looks for across pieces.

        Only the last event id (for a reconnection) and the retry field are read
        here, from each piece's complete lines: one split between two pieces is
        missed, and the next event's id stands for it.
        """
        while piece := response.read1(256 * 1024):
            event_id, retry = _last_field(piece, b"id: "), _last_field(piece, b"retry: ")
            if event_id is not None:
                self.last_event_id = event_id.decode()
            if retry is not None:
                self.retry = int(retry) / 1000
            self.on_lines(self, piece, time.perf_counter())


def _last_field(block: bytes, name: bytes) -> bytes | None:
    """The value of the last ``name`` field of ``block`` (a whole line, after a newline), or None."""
    at = block.rfind(b"\n" + name)
    end = block.find(b"\n", at + 1) if at >= 0 else -1
    return block[at + 1 + len(name) : end] if end >= 0 else None


def hold(address: tuple[str, int], path: str, headers: dict[str, str], count: int) -> None:
    """Open ``count`` idle viewers; for each line read on stdin, print how many are connected and were
    refused; stop at its end.

    A process holds at most about 20,000 descriptors here: the benchmark's idle
    scenario spreads its viewers over processes running this.
    """
    from gevent import monkey

    monkey.patch_all()
    import sys

    viewers = []
    for i in range(count):
        viewers.append(Viewer(address, path, headers, lambda viewer, texts, now: None).start())
        if i % 200 == 199:
            gevent.sleep(0.05)  # stay under the listen backlog

    while gevent.get_hub().threadpool.spawn(sys.stdin.readline).get():
        print(sum(v.connected.is_set() for v in viewers), sum(v.refusals for v in viewers), flush=True)
    for viewer in viewers:
        viewer.stop()


if __name__ == "__main__":
    import json
    import sys

    host, port, path, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    hold((host, port), path, json.loads(sys.argv[5]), count)
