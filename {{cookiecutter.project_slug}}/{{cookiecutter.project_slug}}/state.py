"""Where the tailers keep their offset files, and the sweeping of what dead workers left there.

Every file and private directory is named after the process that made it
(``stream-<pid>-*.offset``, ``log-viewer-<pid>-*``): a worker removes its own as
it goes and at exit, and one killed with SIGKILL cannot, so each worker, as it
starts, removes those whose process is gone. Nothing here is ever written into
the log directory.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

PRIVATE_PREFIX = "log-viewer-"
OFFSET_PREFIX = "stream-"


def _owner_gone(name: str, prefix: str) -> bool:
    """Whether the process a name was made by (``<prefix><pid>-...``) has ended."""
    pid = name[len(prefix) :].split("-", 1)[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def sweep(directory: Path | None) -> list[str]:
    """Remove the offset files in ``directory`` (or the private directories in TMPDIR) of ended processes."""
    if directory is None:
        found = Path(tempfile.gettempdir()).glob(f"{PRIVATE_PREFIX}*")
        prefix = PRIVATE_PREFIX
    else:
        found = directory.glob(f"{OFFSET_PREFIX}*.offset")
        prefix = OFFSET_PREFIX
    removed = []
    for path in found:
        if _owner_gone(path.name, prefix):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def private_directory() -> Path:
    """A new private state directory of this process, removed at exit."""
    path = tempfile.mkdtemp(prefix=f"{PRIVATE_PREFIX}{os.getpid()}-")
    atexit.register(shutil.rmtree, path, True)
    return Path(path)


def new_offset_file(directory: Path) -> str:
    """An empty offset file of this process in ``directory``."""
    fd, path = tempfile.mkstemp(prefix=f"{OFFSET_PREFIX}{os.getpid()}-", suffix=".offset", dir=directory)
    os.close(fd)
    return path
