"""Caps on what runs at once: open streams, running searches."""

from __future__ import annotations


class Slots:
    """A cap on how many of one kind of request (streams, searches) a blueprint runs at once in one worker."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0

    def acquire(self) -> bool:
        if self.open >= self.limit:
            return False
        self.open += 1
        return True

    def release(self) -> None:
        self.open -= 1
