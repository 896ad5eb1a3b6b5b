import socket

from {{ cookiecutter.project_slug }}.clients import Clients


def test_a_stream_socket_keeps_segments_in_flight():
    """However small ``batch_bytes``, the send buffer holds a few segments and the last one is not held back:
    on loopback (a proxy on the same host) a segment is 64 KiB, and one at a time waits for delayed ACKs."""
    with socket.create_server(("127.0.0.1", 0)) as server, socket.create_connection(server.getsockname()):
        conn, _ = server.accept()
        with conn:
            environ = {"gunicorn.socket": conn, "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_METHOD": "GET"}
            watch = Clients(stall_seconds=10, send_buffer=4096, heartbeat=15).watch(environ)
            try:
                segment = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
                assert conn.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) >= 2 * segment
                assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            finally:
                watch.close()
