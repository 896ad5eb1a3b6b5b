"""One watcher per file per worker; streams wait on it.

A libev stat watcher (inotify on Linux, polling every ``interval`` seconds
where inotify does not reach) fires on append, rotation and truncation. Each
change sets the current ``Event`` and installs a fresh one, so every stream
waiting on that file wakes, once, and streams of other files sleep on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import gevent
from gevent.event import Event


class FileWatcher:
    """The shared watcher of one path in this worker."""

    def __init__(self, path: str, interval: float) -> None:
        self._changed = Event()
        self.users = 0
        self._stat = gevent.get_hub().loop.stat(path, interval)
        self._stat.start(self.wake)

    def ticket(self) -> Event:
        """Take this before reading: it is set by the next change after it."""
        return self._changed

    def wake(self) -> None:
        changed, self._changed = self._changed, Event()
        changed.set()

    def close(self) -> None:
        self._stat.stop()
        self._stat.close()
        self.wake()


class WatcherPool:
    """The watchers of one blueprint in one worker, shared by path and counted."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self._watchers: dict[str, FileWatcher] = {}
        self.closing = Event()

    @contextmanager
    def watch(self, path: str) -> Iterator[FileWatcher]:
        watcher = self._watchers.get(path)
        if watcher is None:
            watcher = self._watchers[path] = FileWatcher(path, self.interval)
        watcher.users += 1
        try:
            yield watcher
        finally:
            watcher.users -= 1
            if watcher.users == 0:
                del self._watchers[path]
                watcher.close()

    def close(self) -> None:
        """End every stream: they wake, see ``closing`` and finish."""
        self.closing.set()
        for watcher in list(self._watchers.values()):
            watcher.wake()
