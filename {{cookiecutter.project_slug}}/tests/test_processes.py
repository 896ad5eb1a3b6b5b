"""Programs run beside the worker: started, fed, read, reaped, killed, without blocking the hub."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import gevent
import pytest

from {{ cookiecutter.project_slug }}.processes import Process


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_output_status_and_error_output():
    process = Process(python("import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"))
    assert process.stdout.read() == b"out\n"
    assert process.wait(timeout=10) == 3
    assert process.returncode == 3
    assert process.errors() == "err"
    process.close()


def test_given_stdin_and_stdout(tmp_path):
    source = tmp_path / "in"
    source.write_bytes(b"from a file\n")
    read, write = os.pipe()
    with open(source, "rb") as fh:
        process = Process(
            python("import sys; sys.stdout.write(sys.stdin.read().upper())"), stdin=fh.fileno(), stdout=write
        )
    os.close(write)
    with os.fdopen(read, "rb") as out:
        assert out.read() == b"FROM A FILE\n"
    assert process.wait(timeout=10) == 0 and process.stdout is None
    process.close()


def test_kill_ends_it_and_the_hub_ran_meanwhile():
    process = Process(python("import time; time.sleep(60)"))
    ticks = []
    ticker = gevent.spawn(lambda: [ticks.append(gevent.sleep(0.01)) for _ in range(5)])
    with pytest.raises(gevent.Timeout):
        process.wait(timeout=0.2)
    assert len(ticks) == 5, "waiting blocked the hub"  # the ticker ran while the wait did (0.05 s of 0.2)
    ticker.join()
    process.close()
    assert process.returncode == -signal.SIGKILL


def test_children_ending_together_are_all_reaped_in_a_fresh_worker():
    """In a new process (a gunicorn worker), where nothing has asked gevent to watch children yet."""
    code = (
        "import signal, gevent.signal\n"
        "from {{ cookiecutter.project_slug }}.processes import Process\n"
        "gevent.signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # gunicorn's worker, as it starts, monkey-patched\n"
        "processes = [Process(['/bin/true']) for _ in range(40)]\n"
        "print([process.wait(timeout=10) for process in processes] == [0] * 40)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True", done.stderr[-2000:]


def test_a_program_that_cannot_start_leaves_no_descriptor_open():
    before = len(os.listdir("/proc/self/fd"))
    with pytest.raises(FileNotFoundError):
        Process(["/nonexistent/program"])
    assert len(os.listdir("/proc/self/fd")) == before
