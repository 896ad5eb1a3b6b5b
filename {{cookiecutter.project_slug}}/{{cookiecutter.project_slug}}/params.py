"""What a request asks for, beyond its path: how many lines, and in which form."""

from __future__ import annotations

from flask import abort, request


def limit(text: str | None, default: int, high: int) -> int:
    """A request's ``limit``: 1 to ``high``, ``default`` when absent; else a ``400`` that says so."""
    return whole("limit", text, default, 1, high)


def whole(name: str, text: str | None, default: int, low: int, high: int) -> int:
    """A request's whole number ``name``: ``low`` to ``high``, ``default`` when absent; else a ``400`` that says so."""
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
        abort(400, f"{name} must be a whole number from {low} to {high}")
    return int(text)


def wants_plain_text() -> bool:
    """``Accept: text/plain`` preferred to ``text/event-stream`` and ``text/html``: raw lines, for scripts."""
    accept = request.accept_mimetypes
    offered = [kind for kind, _quality in accept if kind in ("text/plain", "text/event-stream", "text/html")]
    ranked = sorted(offered, key=lambda kind: -accept[kind])  # stable: the header's order breaks ties
    return bool(ranked) and ranked[0] == "text/plain"
