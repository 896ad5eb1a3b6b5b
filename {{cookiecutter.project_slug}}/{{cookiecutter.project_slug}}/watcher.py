"""One watcher per file per worker; streams wait on it.

A libev stat watcher (inotify on Linux, polling every ``interval`` seconds
where inotify does not reach) fires on append, rotation and truncation; a
timer ticks every half heartbeat. A change sets the current ``Event``s and
installs fresh ones, so every stream of that file wakes once, and streams of
other files sleep on; a tick sets only the tick ``Event``, for the streams that
send their own heartbeats or have a line still unfinished. ``changes`` counts
file changes, so a stream woken by a tick knows it heard of nothing.
``current`` is the path's ``stat`` taken at each tick, one for all the file's
streams; when it differs from the last tick's, the tick counts as a change (a
notification went unheard). Idle streams hold no timer of their own. A change
that comes while no stream holds a ticket (each is reading, sending, or
gathering the next records: ``feeds.GATHER_SECONDS``) only counts: every
stream reads before it waits again. So the stat watcher listens only while a
stream holds a ticket: the first change after a ticket wakes the streams and
stops it, and the next ticket starts it again (libev takes the path's ``stat``
afresh). A logger writing each record as it comes costs the watcher one change
per read, not one per write (10,000 writes a second cost a worker 11 % of a
core with the watcher always on). libuv's loop (``GEVENT_LOOP=libuv``) polls the
path on a timer instead, and aborts the process when that poll is stopped and
started again quickly: there the watcher stays on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import gevent
from gevent.event import Event


def look(path: str) -> os.stat_result | None:
    """The path's ``stat``, or None when nothing is there."""
    try:
        return os.stat(path)
    except OSError:
        return None


def _identity(found: os.stat_result | None) -> tuple[int, ...] | None:
    return found and (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns)


class FileWatcher:
    """The shared watcher and heartbeat clock of one path in this worker."""

    def __init__(self, path: str, interval: float, heartbeat: float) -> None:
        self._changed = Event()
        self._ticked = Event()
        self._handed = False  # a stream took the current events: a change must set them
        self.changes = 0
        self.path = path
        self.current = look(path)
        self.tick = heartbeat / 2
        self.users = 0
        loop = gevent.get_hub().loop
        self._stat = loop.stat(path, interval)
        self._pausing = "libev" in type(loop).__module__  # libuv's polling cannot be stopped and started at will
        if not self._pausing:
            self._stat.start(self._on_change)
        self._timer = loop.timer(self.tick, self.tick)
        self._timer.start(self.on_tick)

    def ticket(self, ticks: bool = True) -> Event:
        """Take this before reading: it is set by the next change (or tick, with ``ticks``) after it."""
        self._handed = True
        if not self._stat.active:
            self._stat.start(self._on_change)
        return self._ticked if ticks else self._changed

    def on_tick(self) -> None:
        """Look at the path again: a change nobody heard of wakes every stream, else those that tick."""
        before, self.current = self.current, look(self.path)
        if _identity(before) != _identity(self.current):
            self.changes += 1
            self.wake()
        elif self._handed:
            ticked, self._ticked = self._ticked, Event()
            ticked.set()

    def _on_change(self) -> None:
        self.changes += 1
        self.wake()

    def wake(self) -> None:
        if self._pausing:
            self._stat.stop()  # nobody holds a ticket after this: the next one starts it again
        if not self._handed:  # no stream took a ticket since the last wake: each will read before it waits
            return
        (changed, self._changed), (ticked, self._ticked) = (self._changed, Event()), (self._ticked, Event())
        self._handed = False
        changed.set()
        ticked.set()

    def close(self) -> None:
        self.wake()
        for watcher in (self._stat, self._timer):
            watcher.stop()
            watcher.close()


class WatcherPool:
    """The watchers of one blueprint in one worker, shared by path and counted."""

    def __init__(self, interval: float, heartbeat: float) -> None:
        self.interval = interval
        self.heartbeat = heartbeat
        self._watchers: dict[str, FileWatcher] = {}
        self.closing = Event()

    @contextmanager
    def watch(self, path: str) -> Iterator[FileWatcher]:
        watcher = self._watchers.get(path)
        if watcher is None:
            watcher = self._watchers[path] = FileWatcher(path, self.interval, self.heartbeat)
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
