"""Programs run beside a gevent worker: started with ``posix_spawn``, read and reaped without blocking the hub.

``gevent.subprocess`` forks the worker and runs Python in the child until it
executes the program: 5 to 15 ms per start in a gunicorn worker.
``posix_spawn`` (a vfork in C) takes well under one, which a search that
starts several programs, on a path where the first match should be on screen
at once, feels. The exit status comes from the hub's child watcher, the
watcher ``gevent.subprocess`` uses; output is read through gevent's
cooperative file objects.
"""

from __future__ import annotations

import contextlib
import os
import signal

import gevent
import gevent.event
from gevent.fileobject import FileObjectPosix


class Process:
    """One program: ``stdin`` and ``stdout`` given as descriptors, or None for nothing in and a pipe out.

    Its error output is gathered as it comes (a full pipe would stop it).
    """

    def __init__(self, argv: list[str], stdin: int | None = None, stdout: int | None = None) -> None:
        actions: list[tuple] = [
            (os.POSIX_SPAWN_DUP2, stdin, 0)
            if stdin is not None
            else (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)
        ]
        out = None if stdout is not None else os.pipe()
        errors = os.pipe()
        actions += [(os.POSIX_SPAWN_DUP2, stdout if out is None else out[1], 1), (os.POSIX_SPAWN_DUP2, errors[1], 2)]
        loop = gevent.get_hub().loop
        loop.install_sigchld()  # as gevent.subprocess does: gunicorn's worker resets SIGCHLD as it starts
        try:
            self.pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
        except OSError:
            for fd in (out[0] if out else None, errors[0]):
                if fd is not None:
                    os.close(fd)
            raise
        finally:
            os.close(errors[1])
            if out:
                os.close(out[1])
        # Watched before the hub runs again: the hub reaps only on its next turn, so no exit is missed.
        self._status: gevent.event.AsyncResult = gevent.event.AsyncResult()
        watcher = loop.child(self.pid)
        watcher.start(self._reaped, watcher)
        self.stdout = FileObjectPosix(out[0], "rb") if out else None
        error_output = FileObjectPosix(errors[0], "rb")
        self._errors = gevent.spawn(self._gather, error_output)

    def _reaped(self, watcher) -> None:
        watcher.stop()
        watcher.close()
        self._status.set(os.waitstatus_to_exitcode(watcher.rstatus))

    @staticmethod
    def _gather(output: FileObjectPosix) -> bytes:
        with output:
            return output.read()

    @property
    def returncode(self) -> int | None:
        """Its exit status (minus the signal that ended it), or None while it runs."""
        return self._status.get() if self._status.ready() else None

    def wait(self, timeout: float | None = None) -> int:
        """Its exit status, waiting cooperatively; ``gevent.Timeout`` past ``timeout`` seconds."""
        return self._status.get(timeout=timeout)

    def kill(self) -> None:
        if not self._status.ready():
            with contextlib.suppress(ProcessLookupError):  # ended, not yet reaped
                os.kill(self.pid, signal.SIGKILL)

    def errors(self) -> str:
        """What it wrote to its error output, once it has ended."""
        self.wait()
        return self._errors.get().decode("utf-8", "replace").strip()

    def close(self) -> None:
        """Kill it if it still runs, reap it and close its output."""
        self.kill()
        self.wait()
        self._errors.join()
        if self.stdout:
            self.stdout.close()


def run(argv: list[str], timeout: float, stdin: int | None = None, stdout: int | None = None) -> tuple[int, str]:
    """Run a program to its end, cooperatively: its exit status, and the last line of its error output (or
    ``"it ended early"`` when it failed without one). ``gevent.Timeout`` past ``timeout`` seconds (it is killed)."""
    program = Process(argv, stdin, stdout)
    try:
        status = program.wait(timeout=timeout)
    finally:
        program.close()
    said = program.errors().splitlines()[-1:] or ["" if status == 0 else "it ended early"]
    return status, said[0]
