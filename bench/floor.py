#!/usr/bin/env python3
"""The least any server pays to keep idle event streams alive: the benchmark's heartbeat floor.

    floor.py --bind 127.0.0.1:<port>

Answers every request with an event stream (chunked, as gunicorn frames ours)
and nothing else, then writes each stream the same heartbeat chunk ours writes
after 14 s of silence, from one loop of plain ``os.write`` calls: no framework,
no Python per stream beyond the call. Its CPU for 20,000 viewers is what the
contract's heartbeat (at least one comment per 15 s) costs on this machine's
kernel, whatever the server (bench/run.py, "idle" scenario).
"""

from __future__ import annotations

import os
import selectors
import socket
import sys
import time

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
RETRY = b"retry: 3000\n\n"
KEEPALIVE = b": keepalive\n\n"
QUIET = 14.0  # seconds of silence before a heartbeat, as ours
WORKERS = 4


def chunk(data: bytes) -> bytes:
    return b"%X\r\n%s\r\n" % (len(data), data)


def serve(listener: socket.socket) -> None:
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    due: dict[int, list[int]] = {}  # second -> descriptors to beat then
    heartbeat = chunk(KEEPALIVE)
    while True:
        for key, _events in selector.select(timeout=0.2):
            if key.fileobj is listener:
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:  # another process took it
                    continue
                selector.register(conn, selectors.EVENT_READ)
                continue
            conn = key.fileobj
            request = conn.recv(65536)  # a whole GET fits; its end is all we wait for
            selector.unregister(conn)
            if not request:
                conn.close()
                continue
            conn.sendall(HEAD + chunk(RETRY))
            due.setdefault(int(time.monotonic() + QUIET), []).append(conn.detach())
        now = int(time.monotonic())
        for second in [s for s in due if s <= now]:
            for fd in due.pop(second):
                try:
                    os.write(fd, heartbeat)
                except OSError:
                    os.close(fd)
                    continue
                due.setdefault(now + int(QUIET), []).append(fd)


def main() -> None:
    """Four processes on one listener, as the service's four workers (one process may hold 20,000 descriptors)."""
    host, port = sys.argv[sys.argv.index("--bind") + 1].rsplit(":", 1)
    listener = socket.create_server((host, int(port)), backlog=4096)
    listener.setblocking(False)
    children = []
    for _ in range(WORKERS):
        pid = os.fork()
        if pid == 0:
            serve(listener)
        children.append(pid)
    for child in children:  # the benchmark stops the process group
        os.waitpid(child, 0)


if __name__ == "__main__":
    main()
