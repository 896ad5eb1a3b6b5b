"""Real gunicorn with gevent workers, started from the project's own gunicorn.conf.py."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from helpers import AUTH, PROJECT_ROOT, free_port, require_tool

NODES = ("node-a", "node-b", "node-c")


class Server:
    """A gunicorn master and its workers on a free loopback port (``host``: another loopback address)."""

    def __init__(
        self,
        log_dir: Path,
        state_dir: Path,
        workers: int = 4,
        port: int | None = None,
        wrapper: list[str] | None = None,
        host: str = "127.0.0.1",
        **env: str,
    ) -> None:
        self.port = port or free_port()
        self.wrapper = wrapper or []
        self.address = (host, self.port)
        self.log_dir = log_dir
        self.env = (
            os.environ
            | {
                "LOG_VIEWER_BIND": f"{host}:{self.port}",
                "LOG_VIEWER_WORKERS": str(workers),
                "LOG_VIEWER_LOG_DIRECTORY": str(log_dir),
                "LOG_VIEWER_STATE_DIRECTORY": str(state_dir),
                "LOG_VIEWER_USERNAME": AUTH[0],
                "LOG_VIEWER_PASSWORD": AUTH[1],
                "LOG_VIEWER_LOG_LEVEL": "info",
            }
            | env
        )
        self.output = state_dir.parent / f"gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> Server:
        with open(self.output, "ab") as output:
            self.process = subprocess.Popen(
                [*self.wrapper, sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.output.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://{self.address[0]}:{self.port}/healthz", timeout=1) as answer:
                    if answer.status == 200 and self.ready_workers() == int(self.env["LOG_VIEWER_WORKERS"]):
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer in {timeout} s: {self.output.read_text()[-2000:]}")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def ready_workers(self) -> int:
        """Workers past post_worker_init (a SIGTERM during boot would wait out graceful_timeout)."""
        ready = {int(pid) for pid in re.findall(rb"Worker (\d+) ready", self.output.read_bytes())}
        return len(set(self.worker_pids()) & ready)

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def pids_holding(self, path: Path) -> list[int]:
        """Workers that have ``path`` open (the ones serving its streams)."""
        return [pid for pid in self.worker_pids() if str(path) in _open_files(pid)]

    def open_fds(self) -> int:
        return sum(len(list(Path(f"/proc/{pid}/fd").iterdir())) for pid in self.worker_pids())

    def stop(self, timeout: float = 15.0) -> float:
        """SIGTERM the master; the seconds it took to exit."""
        if self.process is None or self.process.poll() is not None:
            return 0.0
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return time.monotonic() - started


@contextmanager
def nodes(
    root: Path,
    names: tuple[str, ...] = NODES,
    peers: str | None = None,
    env_of: dict[str, dict[str, str]] | None = None,
    **env: str,
) -> Iterator[list[Server]]:
    """One gunicorn per node name, as a DaemonSet's pods would be: 127.0.0.1, .2, .3 ... on one port, each
    with its own log directory (``root/<name>/logs``); ``peers`` defaults to the list of them all, and
    ``env_of`` gives a node settings of its own."""
    port = free_port()
    addresses = [f"127.0.0.{number}" for number in range(1, len(names) + 1)]
    peers = ",".join(f"{address}:{port}" for address in addresses) if peers is None else peers
    started: list[Server] = []
    try:
        for name, address in zip(names, addresses, strict=True):
            (root / name / "logs").mkdir(parents=True)
            node = Server(
                root / name / "logs",
                root / name / "state",
                workers=2,
                port=port,
                host=address,
                LOG_VIEWER_NODE_NAME=name,
                LOG_VIEWER_PEERS=peers,
                **env | (env_of or {}).get(name, {}),
            )
            started.append(node)
            node.start()
        yield started
    finally:
        for node in started:
            node.stop()


class Records:
    """A DNS server answering one name with A records (``addresses``, changeable), TTL 0; others NXDOMAIN.

    gevent's c-ares resolver asks it with ``resolver_env()``: a headless Service without Kubernetes.
    """

    def __init__(self, name: str, addresses: list[str]) -> None:
        self.name = name.lower().rstrip(".")
        self.addresses = addresses
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def resolver_env(self) -> dict[str, str]:
        return {"GEVENT_RESOLVER": "ares", "GEVENTARES_SERVERS": "127.0.0.1", "GEVENTARES_UDP_PORT": str(self.port)}

    def _serve(self) -> None:
        while True:
            try:
                query, client = self.socket.recvfrom(512)
                self.socket.sendto(self._answer(query), client)
            except OSError:
                return  # closed

    def _answer(self, query: bytes) -> bytes:
        end, labels = 12, []
        while query[end]:
            labels.append(query[end + 1 : end + 1 + query[end]])
            end += 1 + query[end]
        question = query[12 : end + 5]
        kind = struct.unpack(">H", query[end + 1 : end + 3])[0]
        known = b".".join(labels).decode().lower() == self.name
        found = list(self.addresses) if known and kind == 1 else []
        records = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 0, 4) + socket.inet_aton(a) for a in found)
        flags = 0x8180 | (0 if known else 3)
        return query[:2] + struct.pack(">HHHHH", flags, 1, len(found), 0, 0) + question + records

    def close(self) -> None:
        self.socket.close()


def bound_by_permissions() -> list[str]:
    """A command prefix under which root obeys file permissions, as a service user would (CI runs as root)."""
    if os.geteuid() != 0:
        return []
    overrides = "-dac_override,-dac_read_search"
    return [require_tool("setpriv"), "--bounding-set", overrides, "--inh-caps", overrides]


def emptied(directory: Path, subdirectories: tuple[str, ...] = ()) -> Path:
    """``directory`` with nothing in it but the empty ``subdirectories``: a shared server's fresh start."""
    for entry in directory.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for name in subdirectories:
        (directory / name).mkdir(parents=True)
    return directory


def _open_files(pid: int) -> set[str]:
    """What a process has open (a descriptor closed while they are listed is left out, not the whole list)."""
    found = set()
    with suppress(FileNotFoundError):  # the process has ended
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with suppress(FileNotFoundError):
                found.add(os.readlink(fd))
    return found
