"""The client's end of a stream: a slow reader costs bounded memory, a gone one is noticed at once.

* The socket's send buffer is capped (``batch_bytes``), and a client that has
  not taken an event within ``stall_seconds`` is dropped (a clock per worker
  looks four times in that span): a client that stops reading holds one event
  and one small kernel buffer, and not for long.
* The socket is watched for end-of-file while the stream waits: a client that
  closes its connection ends its stream (and frees its slot) at once, not at
  the next write, which may be a heartbeat away.

Either way the serving greenlet gets ``ClientLeft``, a connection reset, which
gunicorn takes quietly as a client gone.
"""

from __future__ import annotations

import _socket
import errno
import socket
import time
from collections.abc import Callable, Iterator

import gevent


class ClientLeft(ConnectionResetError):
    """Thrown into a stream whose client closed the connection or stopped reading."""

    def __init__(self, why: str) -> None:
        super().__init__(errno.ECONNRESET, why)


class ClientWatch:
    """Bounds and watches one stream's socket, for the greenlet that serves it."""

    def __init__(self, sock: socket.socket, send_buffer: int, forget: Callable[[ClientWatch], None]) -> None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
        self._fd = sock.fileno()
        self._greenlet = gevent.getcurrent()
        self._forget = forget
        self._readable = gevent.get_hub().loop.io(self._fd, 1)
        self._readable.start(self._check)
        self.sending_since: float | None = None

    def guard(self, events: Iterator[bytes]) -> Iterator[bytes]:
        """``events``, each timed while the client takes it (``Clients`` drops one that takes too long)."""
        for event in events:
            self.sending_since = time.monotonic()
            yield event
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
        self._readable.stop()
        self._readable.close()
        self._forget(self)


class Clients:
    """The watched stream clients of one blueprint in one worker, and one clock that drops stalled ones."""

    def __init__(self, stall_seconds: float, send_buffer: int) -> None:
        self.stall_seconds = stall_seconds
        self.send_buffer = send_buffer
        self._watching: set[ClientWatch] = set()
        self._sweep = None  # started with the first client: the worker's hub exists only then

    def watch(self, sock: socket.socket) -> ClientWatch:
        """Watch the socket of the stream the current greenlet serves; ``close()`` the watch when it ends."""
        if self._sweep is None:
            period = self.stall_seconds / 4
            self._sweep = gevent.get_hub().loop.timer(period, period)
            self._sweep.start(self._drop_stalled)
        watch = ClientWatch(sock, self.send_buffer, self._watching.discard)
        self._watching.add(watch)
        return watch

    def _drop_stalled(self) -> None:
        too_old = time.monotonic() - self.stall_seconds
        for watch in [w for w in self._watching if w.sending_since is not None and w.sending_since < too_old]:
            watch.end(f"the client took no data for {self.stall_seconds:g} s")
