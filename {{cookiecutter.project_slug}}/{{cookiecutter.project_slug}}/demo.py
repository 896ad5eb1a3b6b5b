"""The demo stream: random sentences, framed like a log stream."""

from __future__ import annotations

import random
from collections.abc import Iterator

from . import sse
from .watcher import WatcherPool

SUBJECTS = ("The cache", "A worker", "The scheduler", "Our API", "The database", "A client", "The proxy")
VERBS = ("warmed up", "retried", "flushed", "rebalanced", "timed out", "recovered", "reconnected")
OBJECTS = ("the queue", "three shards", "a stale lock", "the session store", "every replica", "its backlog")


def random_sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}."


def demo_stream(watchers: WatcherPool, start: int, retry_ms: int, interval: float = 0.5) -> Iterator[str]:
    """Numbered sentences every ``interval`` seconds; a reconnect resumes after ``start``."""
    rng = random.Random()
    yield sse.retry(retry_ms)
    number = start
    while not watchers.closing.wait(interval * rng.uniform(0.5, 1.5)):
        number += 1
        yield sse.lines_event([f"#{number} {random_sentence(rng)}"], [str(number)], [None], str(number))
