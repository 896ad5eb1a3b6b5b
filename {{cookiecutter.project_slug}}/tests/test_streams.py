import time
from itertools import pairwise

import gevent

from {{ cookiecutter.project_slug }}.streams import StreamSlots, follow
from {{ cookiecutter.project_slug }}.tailer import Tailer
from {{ cookiecutter.project_slug }}.watcher import WatcherPool


def stream(log, state, heartbeat=0.3):
    log.parent.mkdir(exist_ok=True)
    state.mkdir(exist_ok=True)
    tailer = Tailer(log, state, None)
    pool = WatcherPool(interval=0.1, heartbeat=heartbeat)
    return tailer, pool, follow(tailer, pool, retry_ms=1000)


def test_retry_backlog_then_live_lines(tmp_path):
    log = tmp_path / "logs" / "a.log"
    log.parent.mkdir()
    log.write_text("old\n")
    tailer, _pool, events = stream(log, tmp_path / "state")
    assert next(events) == "retry: 1000\n\n"
    assert '<div class="l">old</div>' in next(events)
    gevent.spawn_later(0.05, lambda: log.open("a").write("new\n"))
    assert '<div class="l">new</div>' in next(events)
    events.close()
    tailer.close()


def test_heartbeat_after_silence_without_reading_the_file(tmp_path, monkeypatch):
    log = tmp_path / "logs" / "a.log"
    log.parent.mkdir()
    log.write_text("")
    tailer, _pool, events = stream(log, tmp_path / "state", heartbeat=0.2)
    next(events)
    reads = []
    original = tailer.read
    monkeypatch.setattr(tailer, "read", lambda: reads.append(1) or original())
    sent = [time.monotonic()]
    for _ in range(4):
        assert next(events) == ": keepalive\n\n"
        sent.append(time.monotonic())
    gaps = [later - earlier for earlier, later in pairwise(sent)]
    # Never a whole heartbeat (0.2 s) of silence, give or take scheduling on a busy machine.
    assert all(0.05 <= gap <= 0.2 + 0.1 for gap in gaps), gaps
    assert len(reads) == 1  # read once before waiting; heartbeats do not touch the file
    events.close()
    tailer.close()


def test_closing_the_pool_ends_streams(tmp_path):
    log = tmp_path / "logs" / "a.log"
    log.parent.mkdir()
    log.write_text("x\n")
    tailer, pool, events = stream(log, tmp_path / "state", heartbeat=30)
    next(events), next(events)
    gevent.spawn_later(0.1, pool.close)
    started = time.monotonic()
    assert list(events) == []
    assert time.monotonic() - started < 2
    tailer.close()


def test_stream_slots():
    slots = StreamSlots(2)
    assert slots.acquire() and slots.acquire() and not slots.acquire()
    slots.release()
    assert slots.acquire()
