import socket
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from {{ cookiecutter.project_slug }} import clients
from {{ cookiecutter.project_slug }}.clients import Clients


@contextmanager
def stream_socket(clock: Clients) -> Iterator[tuple[socket.socket, socket.socket, clients.ClientWatch]]:
    """A loopback connection's two ends, the server's watched by ``clock`` as gunicorn's stream socket."""
    with socket.create_server(("127.0.0.1", 0)) as server, socket.create_connection(server.getsockname()) as client:
        conn, _ = server.accept()
        with conn:
            environ = {"gunicorn.socket": conn, "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_METHOD": "GET"}
            watch = clock.watch(environ)
            try:
                yield conn, client, watch
            finally:
                watch.close()


def test_a_stream_socket_keeps_segments_in_flight():
    """However small ``batch_bytes``, the send buffer holds a few segments and the last one is not held back:
    on loopback (a proxy on the same host) a segment is 64 KiB, and one at a time waits for delayed ACKs."""
    with stream_socket(Clients(stall_seconds=10, send_buffer=4096, heartbeat=15)) as (conn, _client, _watch):
        segment = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
        assert conn.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) >= 2 * segment
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_an_idle_socket_beats_once_per_heartbeat_and_never_later(monkeypatch):
    """The worker's clock, stepped by hand (steps a little late, as a busy worker's are): an idle socket gets a
    heartbeat after more than ``quiet`` and at most a heartbeat of silence, and an event puts the next one off."""
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(clients, "time", SimpleNamespace(monotonic=lambda: clock.now))
    wheel = Clients(stall_seconds=60, send_buffer=4096, heartbeat=15)
    with stream_socket(wheel) as (_conn, client, watch):
        client.setblocking(False)
        watch.between_events = True
        silent_since, gaps = clock.now, []
        for step in range(1, 480):  # two minutes
            clock.now = 1000.0 + step * wheel.period + 0.01 * (step % 7)
            if step == 200:  # an event goes out
                watch.last_sent = silent_since = clock.now
            wheel._beats()
            try:
                got = client.recv(4096)
            except BlockingIOError:
                continue
            assert got.endswith(b": keepalive\n\n\r\n")
            gaps.append(clock.now - silent_since)
            silent_since = clock.now
    assert len(gaps) >= 7 and all(wheel.quiet < gap <= 15 for gap in gaps), gaps


def test_a_heartbeat_without_room_is_finished_at_the_next_steps_and_counts_as_a_stalled_send(monkeypatch):
    """A client that stopped reading: the heartbeat is owed (its clock keeps looking every step, and the stall
    clock sees a send under way); once the client reads again, the whole heartbeat follows what it had."""
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(clients, "time", SimpleNamespace(monotonic=lambda: clock.now))
    wheel = Clients(stall_seconds=60, send_buffer=4096, heartbeat=15)
    with stream_socket(wheel) as (conn, client, watch):
        conn.setblocking(False)
        filler = 0
        for size in (65536, 1):  # the send buffer and the client's receive buffer, full to the last byte
            try:
                while True:
                    filler += conn.send(b"x" * size)
            except BlockingIOError:
                pass
        watch.between_events = True
        for step in range(1, 5):  # past the quiet time, then a step more
            clock.now = 1000.0 + 15 + step * wheel.period
            wheel._beats()
            assert watch.owed and watch.sending_since == 1000.0 + 15 + wheel.period
        client.settimeout(5)
        got = b""
        while len(got) < filler:
            got += client.recv(1 << 20)
        clock.now += wheel.period
        wheel._beats()
        assert not watch.owed and watch.sending_since is None
        while not got.endswith(clients.CHUNKED_KEEPALIVE):
            got += client.recv(4096)
        assert got == b"x" * filler + clients.CHUNKED_KEEPALIVE
