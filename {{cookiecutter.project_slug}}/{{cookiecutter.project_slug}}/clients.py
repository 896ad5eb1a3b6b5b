"""The client's end of a stream: a slow reader costs bounded memory, a gone one is noticed at once.

* The socket's send buffer is capped (``batch_bytes``, or two TCP segments if
  that is more, so the stream never waits on ACKs), and a client that has
  not taken an event within ``stall_seconds`` is dropped (a clock per worker
  looks four times in that span): a client that stops reading holds one event
  (handed to the server in 64 KiB pieces, so its chunk-framed copy is one
  piece) and one small kernel buffer, and not for long.
* The socket is watched for end-of-file while the stream waits: a client that
  closes its connection ends its stream (and frees its slot) at once, not at
  the next write, which may be a heartbeat away.

Either way the serving greenlet gets ``ClientLeft``, a connection reset, which
gunicorn takes quietly as a client gone.

* Heartbeats are written here, not by the streams: a clock per worker writes a
  comment line (framed as an HTTP chunk, as gunicorn frames the events)
  straight to each socket that has been quiet for almost a heartbeat, between
  two events, when nothing else is writing to it. An idle stream's greenlet
  never wakes, and each idle socket is looked at once per heartbeat (a wheel
  of quarter-second slots), so 20,000 idle streams cost a system call each per
  heartbeat and little else. A heartbeat the socket has no room for is
  finished before the next event, and counts as a stalled send meanwhile.
"""

from __future__ import annotations

import _socket
import errno
import os
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from itertools import chain

import gevent
import gevent.socket

from .sse import KEEPALIVE

CHUNKED_KEEPALIVE = b"%X\r\n%s\r\n" % (len(KEEPALIVE), KEEPALIVE)  # one object for every watch: no cold copy each
PIECE = 64 * 1024  # the most of an event handed to the server at once


def beats_for(environ: Mapping[str, object]) -> bool:
    """Whether ``Clients`` writes this request's heartbeats: under gunicorn, on a plain socket, with a body."""
    sock = environ.get("gunicorn.socket")
    return sock is not None and not isinstance(sock, ssl.SSLSocket) and environ.get("REQUEST_METHOD") != "HEAD"


class ClientLeft(ConnectionResetError):
    """Thrown into a stream whose client closed the connection or stopped reading."""

    def __init__(self, why: str) -> None:
        super().__init__(errno.ECONNRESET, why)


class ClientWatch:
    """Bounds and watches one stream's socket, for the greenlet that serves it."""

    # One per stream, each touched by the heartbeat clock once per heartbeat: slots keep it small.
    __slots__ = (
        "_fd",
        "_forget",
        "_greenlet",
        "_readable",
        "between_events",
        "closed",
        "heartbeat",
        "last_sent",
        "owed",
        "sending_since",
    )

    def __init__(
        self, sock: socket.socket, send_buffer: int, forget: Callable[[ClientWatch], None], chunked: bool | None
    ) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            # Room for a few segments in flight, or each one waits for the client's delayed ACK (on loopback,
            # where a proxy on the same host talks to us, a segment is 64 KiB); and an event's last segment
            # goes out without waiting for the ACK of the one before.
            send_buffer = max(send_buffer, 2 * sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
        self._fd = sock.fileno()
        self._greenlet = gevent.getcurrent()
        self._forget = forget
        self._readable = gevent.get_hub().loop.io(self._fd, 1)
        self._readable.start(self._check)
        self.sending_since: float | None = None
        self.last_sent = time.monotonic()
        # The heartbeat as it goes on the wire (None: the stream sends its own), framed as gunicorn frames events.
        self.heartbeat = None if chunked is None else CHUNKED_KEEPALIVE if chunked else KEEPALIVE
        self.owed = b""  # the part of a heartbeat the socket had no room for
        self.between_events = False  # the head is out and the stream is between two events: a heartbeat fits
        self.closed = False

    def guard(self, events: Iterator[bytes]) -> Iterator[bytes]:
        """``events``, each timed while the client takes it (``Clients`` drops one that takes too long)."""
        try:
            for event in events:
                self.between_events = False
                if self.owed:
                    self._settle()
                self.sending_since = time.monotonic()
                # In pieces: gunicorn's chunk-framed copy of what it sends is one piece, not the event
                # (a short event is one piece, and slicing all of it gives it back as it is).
                for start in range(0, len(event), PIECE):
                    yield event[start : start + PIECE]
                self.sending_since = None
                self.last_sent = time.monotonic()
                self.between_events = True
                # Each layer above (werkzeug's encoder, gunicorn's loop) holds the last item it was given while
                # it waits for the next: give them nothing (gunicorn writes nothing for it), so the event is freed.
                event = b""
                yield event
        finally:
            self.between_events = False  # gunicorn ends the response next: nothing more may be written

    def beat(self, now: float) -> bool:
        """Write the heartbeat (or what is left of the last one) straight to the socket, without waiting;
        whether some of it is still owed (the socket had no room)."""
        owed = self.owed or self.heartbeat
        try:
            sent = os.write(self._fd, owed)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.end("the client's connection failed")
            return False  # its stream ends: nothing is owed to it
        self.last_sent = now
        if sent == len(owed):  # the usual case, kept short: the clock runs it for every idle stream
            self.owed = b""
            self.sending_since = None
            return False
        self.owed = owed[sent:]
        self.sending_since = self.sending_since or now  # not taken: a stalled send
        return True

    def _settle(self) -> None:
        """Finish a heartbeat the socket had no room for, before the next event (this greenlet waits for room)."""
        while self.owed:
            gevent.socket.wait_write(self._fd)
            try:
                self.owed = self.owed[os.write(self._fd, self.owed) :]
            except BlockingIOError:
                continue
        self.sending_since = None

    def _check(self) -> None:
        """Readable while streaming: end-of-file, a reset, or (rarely) bytes we leave for gunicorn."""
        probe = _socket.socket(fileno=self._fd)  # the unpatched socket: a hub callback must not block
        try:
            data = probe.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        finally:
            probe.detach()
        self._readable.stop()  # either way, nothing more to learn here
        if not data:
            self.end("the client closed its connection")

    def end(self, why: str) -> None:
        gevent.kill(self._greenlet, ClientLeft(why))

    def close(self) -> None:
        self.closed = True
        self._readable.stop()
        self._readable.close()
        self._forget(self)


class Clients:
    """The watched stream clients of one blueprint in one worker: one clock drops stalled ones, one writes
    heartbeats."""

    def __init__(self, stall_seconds: float, send_buffer: int, heartbeat: float) -> None:
        self.stall_seconds = stall_seconds
        self.send_buffer = send_buffer
        self.period = min(0.25, heartbeat / 8)  # the heartbeat clock's step
        # A socket quiet this long gets a heartbeat within two steps (after 14.25 to 14.75 s of silence by
        # default): a step to spare for a late clock.
        self.quiet = heartbeat - 3 * self.period
        self._watching: set[ClientWatch] = set()
        self._due: dict[int, list[ClientWatch]] = {}  # step number -> the watches to look at then
        self._step = 0
        self._clocks = None  # started with the first client: the worker's hub exists only then

    def watch(self, environ: Mapping[str, object]) -> ClientWatch | None:
        """Watch the socket of the stream the current greenlet serves (None: not under gunicorn, nothing to
        watch); ``close()`` the watch when it ends."""
        sock = environ.get("gunicorn.socket")  # absent under other servers and the test client
        if sock is None:
            return None
        # How gunicorn frames this response's body (None: the stream sends its own heartbeats).
        chunked = environ.get("SERVER_PROTOCOL") != "HTTP/1.0" if beats_for(environ) else None
        if self._clocks is None:
            loop = gevent.get_hub().loop
            sweep, beats = loop.timer(self.stall_seconds / 4, self.stall_seconds / 4), loop.timer(0, self.period)
            sweep.start(self._drop_stalled)
            beats.start(self._beats)
            self._clocks = (sweep, beats)
            self._step = int(time.monotonic() / self.period)
        watch = ClientWatch(sock, self.send_buffer, self._watching.discard, chunked)
        self._watching.add(watch)
        if watch.heartbeat is not None:
            self._look_at(watch, watch.last_sent + self.quiet)
        return watch

    def _look_at(self, watch: ClientWatch, when: float) -> None:
        """Look at ``watch`` at the first step that starts after ``when`` (and after the steps already taken)."""
        self._due.setdefault(max(int(when / self.period) + 1, self._step), []).append(watch)

    def _beats(self) -> None:
        """Each watch due by now: a heartbeat if it has been quiet, else a look again when it may be.

        An idle stream is looked at once per heartbeat, at a step that starts after it has been ``quiet``:
        this loop runs for every idle stream, so it is the per-stream cost of idling (besides the write).
        """
        now, quiet = time.monotonic(), self.quiet
        step = int(now / self.period)
        looked_at = [self._due.pop(taken, ()) for taken in range(self._step, step + 1)]
        self._step = step + 1  # the steps to come: a watch looked at again goes to one of them
        beaten: list[ClientWatch] = []  # all due at the same step next: one list, extended once
        owing: list[ClientWatch] = []  # the socket had no room: looked at again next step
        for watch in chain.from_iterable(looked_at):
            if watch.closed:
                continue
            if watch.owed or (watch.between_events and now - watch.last_sent >= quiet):
                (owing if watch.beat(now) else beaten).append(watch)
            else:
                self._look_at(watch, watch.last_sent + quiet)
        if beaten:
            self._due.setdefault(int((now + quiet) / self.period) + 1, []).extend(beaten)
        if owing:
            self._due.setdefault(self._step, []).extend(owing)

    def _drop_stalled(self) -> None:
        too_old = time.monotonic() - self.stall_seconds
        for watch in [w for w in self._watching if w.sending_since is not None and w.sending_since < too_old]:
            watch.end(f"the client took no data for {self.stall_seconds:g} s")
