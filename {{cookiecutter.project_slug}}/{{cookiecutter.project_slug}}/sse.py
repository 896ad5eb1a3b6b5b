"""Event framing, and log text -> safe HTML.

A log line is text, never markup: it is HTML-escaped first, and only then are
ANSI SGR sequences (which contain no HTML-special character) turned into
``<span>`` elements. Every element is a ``<div class="l" data-at="…">`` line
(``data-at``: where the line starts, see ``cursor``) or a span
whose class comes from a fixed list; 256-colour and truecolour values travel
as ``data-fg``/``data-bg`` = ``#rrggbb`` and are applied by ``static/viewer/dom.js``, so
the Content-Security-Policy can forbid inline styles. Other escape sequences
(cursor movement, titles) are dropped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from itertools import accumulate

from .cursor import Cursor
from .levels import LEVELS

# CSI (colours, cursor moves), OSC only with its terminator (an unterminated one
# must not hide the rest of the line), or a lone two-byte escape.
_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[([0-9;:?]*)([@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_]?)")
_STYLE_CODES = {1: "a-b", 2: "a-d", 3: "a-i", 4: "a-u", 9: "a-s"}
_STYLE_RESETS = {22: ("a-b", "a-d"), 23: ("a-i",), 24: ("a-u",), 29: ("a-s",)}
_CUBE = (0, 95, 135, 175, 215, 255)
_LEVEL_ATTRIBUTES = {None: ""} | {level: f' data-level="{level}"' for level in LEVELS}
_CLOSE_TAGS = {level: f'"{attribute}>'.encode() for level, attribute in _LEVEL_ATTRIBUTES.items()}


def retry(milliseconds: int) -> str:
    return f"retry: {milliseconds}\n\n"


def comment(text: str = "keepalive") -> str:
    return f": {text}\n\n"


KEEPALIVE = comment().encode()  # the heartbeat, as every stream sends it
EVENT_END = b"\n\n"  # a blank line ends an event: where a stream may be cut into whole events


def _head(event_id: str | None, name: str | None = None) -> str:
    """An event's fields before its data: its name and its id, when it has them."""
    return (f"event: {name}\n" if name else "") + (f"id: {event_id}\n" if event_id else "")


def moved_on(event_id: str | None) -> str:
    """An event with only an id: the cursor moves on past lines not sent (a level filter kept none)."""
    return _head(event_id) + "\n" if event_id else ""


def event(data: str, event_id: str | None = None, name: str | None = None) -> str:
    """One event; ``data`` may hold newlines, each becomes its own ``data:`` field."""
    head = _head(event_id, name)
    return head + "".join(f"data: {line}\n" for line in data.replace("\r", "").split("\n")) + "\n"


def failed(status: int, message: str) -> bytes:
    """The event of a stream that cannot be served, or not to its end: ``<status> <sentence>``."""
    return event(f"{status} {message}", name="failed").encode()


def plain_lines_event(lines: Iterable[str], event_id: str | None) -> str:
    """One event carrying many log lines as they are, one ``data:`` field each (for scripts)."""
    return event("\n".join(lines), event_id)


def line_elements(
    lines: Iterable[str], positions: Iterable[str], levels: Iterable[str | None], file: str | None = None
) -> list[str]:
    """One ``<div class="l">`` per log line: the text escaped (then ANSI-styled), its position in ``data-at``.

    ``levels`` (``levels.Levels``) go in ``data-level`` where known; ``file``
    (a search's match) names the file it was found in, in ``data-file``.
    """
    lines = list(lines)
    if not lines:
        return []
    found_in = f' data-file="{html.escape(file)}"' if file is not None else ""
    return [
        f'<div class="l" data-at="{at}"{_LEVEL_ATTRIBUTES[level]}{found_in}>{line}</div>'
        for at, level, line in zip(positions, levels, _escaped(lines), strict=True)
    ]


def _escaped(lines: list[str]) -> list[str]:
    """Each line as element text: ``&``, ``<`` and ``>`` escaped (quotes need not be, outside attributes),
    a carriage return kept visible, ANSI styles as spans."""
    text = html.escape("\n".join(lines), quote=False)
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if "\x1b" in text:
        return [_styled(line) for line in text.split("\n")]
    return text.split("\n")


def lines_event(
    lines: Iterable[str], positions: Iterable[str], levels: Iterable[str | None], event_id: str | None
) -> str:
    """One event carrying many log lines, one ``data:`` field and one element each."""
    return _head(event_id) + "".join(f"data: {element}\n" for element in line_elements(lines, positions, levels)) + "\n"


def stream_event(
    lines: list[str], anchor: Cursor, starts: list[int], levels: Iterable[str | None], event_id: str | None
) -> str:
    """``lines_event`` for lines read at ``starts`` (positions ``cursor.positions(anchor, starts)``), in one pass.

    The stream's hot loop: a burst is a million lines a second.
    """
    base, end = anchor.encode(), anchor.offset
    return (
        _head(event_id)
        + "".join(
            [  # a list, not a generator: join would build one anyway
                f'data: <div class="l" data-at="{base}~{end - start:x}"{_LEVEL_ATTRIBUTES[level]}>{line}</div>\n'
                for start, level, line in zip(starts, levels, _escaped(lines), strict=True)
            ]
        )
        + "\n"
    )


def ascii_lines(
    chunks: Sequence[tuple[int, bytes, bool]], max_line_length: int
) -> list[tuple[list[bytes], list[int]]] | None:
    """Each chunk's lines and their lengths, when all are plain ASCII (no CR, no escape sequence, none cut or
    too long): what ``ascii_stream_event`` renders. None otherwise."""
    split = []
    for _start, data, cut in chunks:
        if cut or not data.isascii() or b"\r" in data or b"\x1b" in data:
            return None
        lines = data.split(b"\n")
        lengths = list(map(len, lines))
        if max(lengths) > max_line_length:
            return None
        split.append((lines, lengths))
    return split


def ascii_stream_event(
    chunks: Sequence[tuple[int, bytes, bool]],
    split: list[tuple[list[bytes], list[int]]],
    anchor: Cursor,
    levels: list[str | None],
    event_id: str | None,
) -> bytes:
    """``stream_event``, byte for byte, for chunks of plain ASCII lines (``ascii_lines``), built in bulk.

    Every step is one call over all lines, in C: the lines stay the bytes
    read, and one ``%`` formatting of the element repeated once per line puts
    each line's position (``%x``), level and text in place.
    """
    backs: list[int] = []
    texts: list[bytes] = []
    for (start, data, _cut), (lines, lengths) in zip(chunks, split, strict=True):
        last = anchor.offset - (start + len(data) - lengths[-1])  # how far back the chunk's last line starts
        chunk_backs = list(accumulate(map((1).__add__, lengths[-2::-1]), initial=last))  # the ones before it,
        chunk_backs.reverse()  # each its length and newline further back
        backs += chunk_backs
        if b"&" in data or b"<" in data or b">" in data:
            lines = data.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;").split(b"\n")
        texts += lines
    count = len(texts)
    # The format holds only our own text: the cursor's hex digits and dashes, never a "%".
    element = b'data: <div class="l" data-at="' + anchor.encode().encode() + b"~%x"
    if any(levels):  # per line: position, closing (with its level), text
        element, values = element + b"%s%s</div>\n", [b""] * (3 * count)
        values[0::3], values[1::3], values[2::3] = backs, map(_CLOSE_TAGS.__getitem__, levels), texts
    else:  # per line: position, text
        element, values = element + _CLOSE_TAGS[None] + b"%s</div>\n", [b""] * (2 * count)
        values[0::2], values[1::2] = backs, texts
    return (_head(event_id).encode() + element * count + b"\n") % tuple(values)


def matches_event(lines: Iterable[str], positions: Iterable[str], levels: Iterable[str | None], file: str) -> str:
    """One event of search matches found in ``file``: line elements with ``data-file``, and no id."""
    return "".join(f"data: {element}\n" for element in line_elements(lines, positions, levels, file)) + "\n"


def _palette(n: int) -> tuple[str | None, str | None]:
    """A 256-colour index as (class suffix, None) for the 16 base colours or (None, #rrggbb)."""
    if n < 16:
        return str(n), None
    if n < 232:
        n -= 16
        r, g, b = _CUBE[n // 36], _CUBE[n // 6 % 6], _CUBE[n % 6]
    else:
        r = g = b = 8 + 10 * (n - 232)
    return None, f"#{r:02x}{g:02x}{b:02x}"


class _Style:
    """The SGR state between two escape sequences."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.flags: set[str] = set()
        self.colour: dict[str, tuple[str | None, str | None]] = {}

    def apply(self, params: str) -> None:
        codes = [int(p) if p.isdigit() else 0 for p in params.replace(":", ";").split(";")]
        i = 0
        while i < len(codes):
            code = codes[i]
            if code == 0:
                self.reset()
            elif code in _STYLE_CODES:
                self.flags.add(_STYLE_CODES[code])
            elif code in _STYLE_RESETS:
                self.flags.difference_update(_STYLE_RESETS[code])
            elif 30 <= code <= 37 or 90 <= code <= 97:
                self.colour["fg"] = (str(code - 30 if code < 90 else code - 82), None)
            elif 40 <= code <= 47 or 100 <= code <= 107:
                self.colour["bg"] = (str(code - 40 if code < 100 else code - 92), None)
            elif code in (39, 49):
                self.colour.pop("fg" if code == 39 else "bg", None)
            elif code in (38, 48) and i + 1 < len(codes):
                layer = "fg" if code == 38 else "bg"
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    self.colour[layer] = _palette(codes[i + 2] % 256)
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    r, g, b = (min(c, 255) for c in codes[i + 2 : i + 5])
                    self.colour[layer] = (None, f"#{r:02x}{g:02x}{b:02x}")
                    i += 4
            i += 1

    def open_tag(self) -> str:
        classes = sorted(self.flags)
        attributes = ""
        for layer, (index, rgb) in sorted(self.colour.items()):
            if index is not None:
                classes.append(f"a-{layer}{index}")
            else:
                attributes += f' data-{layer}="{rgb}"'
        if not classes and not attributes:
            return ""
        return f'<span class="{" ".join(classes)}"{attributes}>' if classes else f"<span{attributes}>"


def _styled(escaped_line: str) -> str:
    """``ansi_to_html``, or the text without its escapes if that fails: no line may stop a stream."""
    try:
        return ansi_to_html(escaped_line)
    except Exception:  # e.g. an SGR parameter of 5,000 digits: past int()'s limit
        return _ESCAPE_SEQUENCE.sub("", escaped_line)


def ansi_to_html(escaped_line: str) -> str:
    """Turn the ANSI sequences of an already escaped line into spans, one per styled run of text."""
    style = _Style()
    out: list[str] = []
    tag = ""
    position = 0
    for match in _ESCAPE_SEQUENCE.finditer(escaped_line):
        out.append(_wrap(tag, escaped_line[position : match.start()]))
        position = match.end()
        if match.group(2) == "m":
            style.apply(match.group(1) or "0")
            tag = style.open_tag()
    out.append(_wrap(tag, escaped_line[position:]))
    return "".join(out)


def _wrap(tag: str, text: str) -> str:
    return f"{tag}{text}</span>" if tag and text else text
