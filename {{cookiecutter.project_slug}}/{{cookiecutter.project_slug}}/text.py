"""Log bytes as text: lines split at their newlines, decoded (invalid UTF-8 replaced), long ones cut."""

from __future__ import annotations

import itertools

CUT_MARKER = " [… line cut at {limit} characters]"


def line_starts(data: bytes, base: int) -> list[int]:
    """The offsets where the lines of ``data`` (lines joined by newlines, none after the last) begin."""
    lengths = map((1).__add__, map(len, data.split(b"\n")))  # each line's length and its newline, in C
    return list(itertools.accumulate(lengths, initial=base))[:-1]


def decode_lines(data: bytes, max_line_length: int) -> list[str]:
    """The lines of ``data`` (joined by newlines, none after the last): invalid UTF-8 replaced, long ones cut."""
    # ``data`` ends where a newline was cut off, so a final CR belonged to a CRLF.
    text = data.decode("utf-8", "replace").replace("\r\n", "\n").removesuffix("\r")
    lines = text.split("\n")
    if max(map(len, lines)) > max_line_length:
        lines = [cut(line, max_line_length) if len(line) > max_line_length else line for line in lines]
    return lines


def cut(line: str, max_line_length: int) -> str:
    """``line`` cut at ``max_line_length`` characters, with a visible marker."""
    return line[:max_line_length] + CUT_MARKER.format(limit=max_line_length)
