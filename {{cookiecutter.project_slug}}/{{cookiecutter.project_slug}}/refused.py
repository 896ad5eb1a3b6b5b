"""A request that cannot be served, said in one sentence: the blueprint answers it with ``status``."""

from __future__ import annotations


class Refused(Exception):
    """Raised by the modules behind the routes; ``status`` is the HTTP answer, ``message`` says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def reason(error: OSError) -> str:
    """The system's words for an error (``Permission denied``), or the error itself when it has none."""
    return error.strerror or str(error)
