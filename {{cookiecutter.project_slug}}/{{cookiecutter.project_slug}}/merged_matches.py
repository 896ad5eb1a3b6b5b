"""Several searches' events as one, its matches in time order (``P/search?files=``): this node's files and each
other node's, searched at once, are told as one search."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from . import sse
from .merged import text_of
from .moments import time_of
from .search import EVENT_LINES

_FILE = re.compile(r' data-file="([^"]*)"')


def together(searches: list[Iterator[bytes]], limit: int) -> Iterator[bytes]:
    """Several searches' events, one after another, as one search's: their matches, their progress summed, a
    node's search that broke off as a note, and one ``done`` (at most ``limit`` matches in all)."""
    done: dict = {"matches": 0, "scanned": 0, "truncated": False, "notes": []}
    progress: dict[int, tuple[int, int]] = {}
    for index, events in enumerate(searches):
        for chunk in events:
            kept = []
            for block in chunk.decode().split("\n\n"):
                name, data = _fields(block)
                if name == "done":
                    found = json.loads(data)
                    done["matches"] += found["matches"]
                    done["scanned"] += found["scanned"]
                    done["truncated"] = done["truncated"] or found["truncated"]
                    done["notes"] += found["notes"]
                elif name == "failed":
                    done["notes"].append(data.partition(" ")[2])
                elif name == "progress":
                    found = json.loads(data)
                    progress[index] = (found["scanned"], found["total"])
                    scanned, total = (sum(counts) for counts in zip(*progress.values(), strict=True))
                    kept.append(sse.event(json.dumps({"scanned": scanned, "total": total}), name="progress"))
                elif block:
                    kept.append(block + "\n\n")
            if kept:
                yield "".join(kept).encode()
    done["truncated"] = done["truncated"] or done["matches"] > limit
    done["matches"] = min(done["matches"], limit)
    yield sse.event(json.dumps(done), name="done").encode()


def _fields(block: str) -> tuple[str | None, str]:
    """An event's name (None: a match's, or a comment) and its data."""
    if not block.startswith("event: "):
        return None, ""
    head, _, rest = block.partition("\n")
    return head.removeprefix("event: "), "\n".join(line.removeprefix("data: ") for line in rest.split("\n"))


def matches_in_time_order(events: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """A search's events with its matches held back until it is done, then sent in time order (a match without a
    stamp takes the time of the match before it in its file; past ``limit``, the newest); progress goes out as it
    comes."""
    found: list[tuple[float, int, str]] = []
    last: dict[str, float] = {}
    for chunk in events:
        for block in chunk.decode().split("\n\n"):
            if not block.startswith("data: "):  # a comment, progress, or done: as it comes (after the matches)
                if block.startswith("event: done"):
                    found.sort(key=lambda match: match[:2])
                    found = found[-limit:]
                    for first in range(0, len(found), EVENT_LINES):
                        elements = (element for _moment, _order, element in found[first : first + EVENT_LINES])
                        yield ("".join(f"data: {element}\n" for element in elements) + "\n").encode()
                if block:
                    yield (block + "\n\n").encode()
                continue
            for element in (line.removeprefix("data: ") for line in block.split("\n")):
                file = _FILE.search(element)
                key = file.group(1) if file else ""
                moment = time_of(text_of(element))
                moment = moment if moment is not None else last.get(key, float("-inf"))
                last[key] = moment
                found.append((moment, len(found), element))
