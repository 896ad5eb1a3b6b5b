"""The services under test: how each is baked or installed, started, stopped and measured; the machine."""

from __future__ import annotations

import base64
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path

import gevent
import gevent.event
from client import Viewer

ROOT = Path(__file__).resolve().parents[2]  # the template repository
WORK = ROOT / "bench" / "work"


RESULTS = ROOT / "bench" / "results"


PASSWORD = "bench-secret"


ORIGINAL = "flask-log-viewer==0.2.2"


GUNICORN = ["-k", "gevent", "-w", "4", "--worker-connections", "8000", "--timeout", "30", "--graceful-timeout", "5"]


SYSTEMS = ("ours", "original")


# Seconds to wait for stragglers: a browser's default retry is 3 s (shortened for --smoke).
SETTLE = {"retry": 3.5, "idle": 3.0}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Until something accepts connections on the loopback ``port``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@dataclass
class System:
    """One service under test: how to start it and how to address a log."""

    name: str
    log_dir: Path
    command: list[str]
    cwd: Path
    env: dict[str, str]
    stream_path: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    host: str = "127.0.0.1"

    @property
    def headers(self) -> dict[str, str]:
        token = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
        return {"Accept": "text/event-stream", "Authorization": f"Basic {token}"}

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        output = open(WORK / f"{self.name}-gunicorn.log", "ab")  # noqa: SIM115 (kept for the process)
        self.process = subprocess.Popen(
            [*self.command, "--bind", f"{self.host}:{self.port}"],
            cwd=self.cwd,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            process_group=0,  # killed as a group; one session with the browser, so nice ranks them (autogroup)
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://{self.host}:{self.port}/logs/view/", timeout=1).close()
                break
            except urllib.error.HTTPError:
                break  # it answers (401 for ours)
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} did not start; see {output.name}") from None
                time.sleep(0.2)
        time.sleep(1.0)  # let every worker finish booting

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [self.process.pid, *map(int, children)]

    def cpu_times(self, children: bool = False) -> tuple[float, float]:
        """User and kernel time of the master and workers together, and the kernel's alone (``children``: with
        that of the processes they started and reaped)."""
        total = kernel = 0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            kernel += int(fields[12])
            if children:
                total += int(fields[13]) + int(fields[14])
                kernel += int(fields[14])
        tick = os.sysconf("SC_CLK_TCK")
        return total / tick, kernel / tick

    def cpu_seconds(self, children: bool = False) -> float:
        return self.cpu_times(children)[0]

    def rss_kib(self) -> int:
        total = 0
        for pid in self.pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total

    def viewers(self, name: str, count: int, on_lines, stagger: float = 0.0, raw: bool = False) -> list[Viewer]:
        started = []
        for i in range(count):
            viewer = Viewer((self.host, self.port), self.stream_path.format(name), self.headers, on_lines, raw)
            started.append(viewer.start())
            if stagger:
                gevent.sleep(stagger / count)
            elif i % 200 == 199:
                gevent.sleep(0.05)  # stay under the listen backlog
        return started


HELD_PER_PROCESS = 10_000  # viewers per client process: each process may hold about 20,000 descriptors


def browser_figures(script: str, system: System, *arguments: str) -> dict:
    """The JSON line a Chromium script of bench/ prints about our viewer, or its error."""
    return browser_run(script, f"http://127.0.0.1:{system.port}/logs", PASSWORD, *arguments)


def browser_run(script: str, *arguments: str) -> dict:
    """The JSON line a Chromium script of bench/ prints, or its error."""
    browser = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *arguments],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ | {"BENCH_IN_VENV": "1"},
    )
    if browser.returncode != 0:
        return {"browser_error": (browser.stdout + browser.stderr)[-2000:]}
    return json.loads(browser.stdout.strip().splitlines()[-1])


def heartbeat_floor(system: System) -> System:
    """bench/floor.py in place of ``system``: streams that only get the heartbeat, written by a bare loop."""
    floor = replace(system, name="floor", command=[sys.executable, str(ROOT / "bench" / "floor.py")], port=free_port())
    floor.start()
    return floor


def alone(system: System) -> System:
    """The same service with one worker: what one worker's searches do to its own streams."""
    log_dir = WORK / f"logs-{system.name}-1"
    command = [*system.command]
    command[command.index("-w") + 1] = "1"
    env = system.env | {"LOG_VIEWER_LOG_DIRECTORY": str(log_dir)}
    return replace(system, name=f"{system.name}-1-worker", log_dir=log_dir, command=command, env=env, port=free_port())


def prepare(smoke: bool, systems: set[str]) -> list[System]:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "cookiecutter", "--no-input", "-o", WORK, ROOT], check=True)
    ours = System(
        "ours",
        WORK / "logs-ours",
        [str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", *GUNICORN],
        WORK / "log_viewer",
        os.environ
        | {
            "LOG_VIEWER_LOG_DIRECTORY": str(WORK / "logs-ours"),
            "LOG_VIEWER_PASSWORD": PASSWORD,
            "LOG_VIEWER_LOG_LEVEL": "warning",
            "LOG_VIEWER_MAX_STREAMS": "8000",  # 20,000 idle viewers on 4 workers, however unevenly they land
            "PYTHONPATH": str(WORK / "log_viewer"),
        },
        "/logs/stream/{}",
    )
    if "original" not in systems:
        return [ours]
    original_venv = WORK / "original-venv"
    subprocess.run([sys.executable, "-m", "venv", original_venv], check=True)
    subprocess.run(
        [original_venv / "bin" / "pip", "install", "-q", "--disable-pip-version-check", ORIGINAL], check=True
    )
    (WORK / "original_app.py").write_text(
        "import os\nfrom flask import Flask\nfrom flask_log_viewer.viewer import log_viewer_blueprint\n"
        "directory = os.environ['BENCH_LOG_DIR']\napp = Flask(__name__)\n"
        "app.register_blueprint(log_viewer_blueprint(base_path=directory, allowed_directories=[directory]),"
        " url_prefix='/logs')\n"
    )
    original = System(
        "original",
        WORK / "logs-original",
        [str(original_venv / "bin" / "gunicorn"), *GUNICORN, "--log-level", "warning", "original_app:app"],
        WORK,
        os.environ | {"BENCH_LOG_DIR": str(WORK / "logs-original")},
        "/logs/stream_log/{}",
    )
    return [s for s in (ours, original) if s.name in systems]


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }
