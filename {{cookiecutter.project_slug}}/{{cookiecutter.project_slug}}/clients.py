"""The client's end of a stream: a slow reader costs bounded memory, a gone one is noticed at once.

* The socket's send buffer is capped (``batch_bytes``), and a client that has
  not taken an event within ``stall_seconds`` is dropped: a client that stops
  reading holds one event and one small kernel buffer, and not for long.
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
from collections.abc import Iterator

import gevent


class ClientLeft(ConnectionResetError):
    """Thrown into a stream whose client closed the connection or stopped reading."""

    def __init__(self, why: str) -> None:
        super().__init__(errno.ECONNRESET, why)


class ClientWatch:
    """Bounds and watches one stream's socket, for the greenlet that serves it."""

    def __init__(self, sock: socket.socket, stall_seconds: float, send_buffer: int) -> None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
        self._fd = sock.fileno()
        self._greenlet = gevent.getcurrent()
        loop = gevent.get_hub().loop
        self._readable = loop.io(self._fd, 1)
        self._readable.start(self._check)
        self._stall = loop.timer(stall_seconds)
        self.stall_seconds = stall_seconds

    def guard(self, events: Iterator[bytes]) -> Iterator[bytes]:
        """``events``, each given ``stall_seconds`` to be taken by the client."""
        for event in events:
            self._stall.start(self._end, f"the client took no data for {self.stall_seconds:g} s")
            yield event
            self._stall.stop()

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
            self._end("the client closed its connection")

    def _end(self, why: str) -> None:
        gevent.kill(self._greenlet, ClientLeft(why))

    def close(self) -> None:
        for watcher in (self._readable, self._stall):
            watcher.stop()
            watcher.close()
