import html
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from {{ cookiecutter.project_slug }} import sse

ALLOWED_CLASSES = re.compile(r"l|a-(b|d|i|u|s|fg\d{1,2}|bg\d{1,2})")
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>window.pwned = 1</script>",
    '"><svg onload=alert(1)>',
    "&amp; &lt; ' \" </div><div>",
    "\x1b[31m<b>red</b>\x1b[0m",
    '\x1b[38;2;1;2;3m" onmouseover="x\x1b[0m',
    "\x1b]0;title\x07 osc \x1b[2J cleared",
    "cr\rinside",
    "data: fake\n\nid: 1",
]


def positions(lines: list[str]) -> list[str]:
    """A made-up ``data-at`` for each line ``lines_event`` will make (a newline inside one makes two)."""
    return [f"1-ff-0~{n + 1:x}" for n in range(sum(line.count("\n") + 1 for line in lines))]


class Elements(HTMLParser):
    """Collects every element and attribute, and the text of each line element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.lines, self.in_line = [], [], False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))
        if tag == "div":
            self.lines.append("")
            self.in_line = True

    def handle_endtag(self, tag):
        if tag == "div":
            self.in_line = False

    def handle_data(self, data):
        if self.in_line:
            self.lines[-1] += data


def data_of(event: str) -> str:
    fields = [line for line in event.split("\n") if line]
    assert all(re.match(r"(id|data|event): ", f) for f in fields), fields
    return "\n".join(f[len("data: ") :] for f in fields if f.startswith("data: "))


def test_lines_event_frames_one_data_field_per_line():
    event = sse.lines_event(["one", "two"], ["1-8-0~8", "1-8-0~4"], ["error", None], "1-8-3")
    assert event == (
        'id: 1-8-3\ndata: <div class="l" data-at="1-8-0~8" data-level="error">one</div>\n'
        'data: <div class="l" data-at="1-8-0~4">two</div>\n\n'
    )


def test_every_line_needs_its_position():
    with pytest.raises(ValueError):
        sse.line_elements(["one", "two"], ["1-0-0"], [None, None])


def test_hostile_lines_become_text_inside_fixed_elements():
    event = sse.lines_event(HOSTILE, positions(HOSTILE), [None] * len(positions(HOSTILE)), "1-2-3")
    assert event.endswith("\n\n") and "\r" not in event and event.count("\n\n") == 1
    parser = Elements()
    parser.feed(data_of(event))
    for tag, attrs in parser.elements:
        assert tag in ("div", "span"), tag
        for name, value in attrs:
            assert name in ("class", "data-fg", "data-bg", "data-at"), name
            if name == "data-at":
                assert tag == "div" and re.fullmatch(r"1-ff-0~[0-9a-f]+", value), value
            elif name == "class":
                assert all(ALLOWED_CLASSES.fullmatch(c) for c in value.split()), value
            else:
                assert re.fullmatch(r"#[0-9a-f]{6}", value), value
    expected = [re.sub(r"\x1b(\[[0-9;]*[A-Za-z]|\][^\x07]*\x07)", "", line) for line in HOSTILE]
    expected = [line for text in expected for line in text.split("\n")]
    assert parser.lines == expected


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("\x1b[31mred\x1b[0m plain", '<span class="a-fg1">red</span> plain'),
        ("\x1b[1;4;92mbold\x1b[22m!", '<span class="a-b a-u a-fg10">bold</span><span class="a-u a-fg10">!</span>'),
        ("\x1b[31m\x1b[0mplain", "plain"),
        ("\x1b[38;5;196mx\x1b[m", '<span data-fg="#ff0000">x</span>'),
        ("\x1b[38;5;3mx", '<span class="a-fg3">x</span>'),
        ("\x1b[48;2;10;20;30mx\x1b[0m", '<span data-bg="#0a141e">x</span>'),
        ("\x1b[38;5;244mgrey", '<span data-fg="#808080">grey</span>'),
        ("\x1b[2K\x1b[1Gcleared", "cleared"),
        ("\x1b[999mnothing", "nothing"),
        ("\x1b]0;title\x07shown", "shown"),
        (
            "\x1b]0;no terminator, still shown [… line cut at 10 characters]",
            "0;no terminator, still shown [… line cut at 10 characters]",
        ),
    ],
)
def test_ansi_to_html(text, html):
    assert sse.ansi_to_html(text) == html


def test_event_and_comment():
    assert sse.event("a\nb", "7", name="rotated") == "event: rotated\nid: 7\ndata: a\ndata: b\n\n"
    assert sse.comment() == ": keepalive\n\n"
    assert sse.retry(1500) == "retry: 1500\n\n"


ansi = st.sampled_from(["\x1b[0m", "\x1b[31m", "\x1b[1;4;92m", "\x1b[38;5;200m", "\x1b[48;2;1;2;3m", "\x1b[2K", "\x1b"])
hostile_text = st.lists(st.one_of(st.text(), ansi, st.sampled_from(["<", ">", "&", '"', "'", "</div>", "\r", "\n"])))


@settings(max_examples=300, deadline=None)
@given(st.lists(hostile_text.map("".join), min_size=1, max_size=8))
def test_property_any_text_becomes_fixed_elements_and_the_same_text(lines):
    event = sse.lines_event(lines, positions(lines), [None] * len(positions(lines)), "1-2-3")
    parser = Elements()
    parser.feed(data_of(event))
    for tag, attrs in parser.elements:
        assert tag in ("div", "span")
        for name, value in attrs:
            assert name in ("class", "data-fg", "data-bg", "data-at")
            if name == "data-at":
                assert tag == "div" and re.fullmatch(r"1-ff-0~[0-9a-f]+", value), value
            elif name == "class":
                assert all(ALLOWED_CLASSES.fullmatch(c) for c in value.split()), value
            else:
                assert re.fullmatch(r"#[0-9a-f]{6}", value), value
    text = [sse._ESCAPE_SEQUENCE.sub("", piece) for line in lines for piece in line.split("\n")]
    assert [line.replace("\0", "\ufffd") for line in parser.lines] == [t.replace("\0", "\ufffd") for t in text]


def test_a_renderer_error_shows_the_text_instead_of_stopping_the_stream():
    huge = "\x1b[" + "9" * 5000 + "mstill shown\x1b[0m"  # past int()'s digit limit
    event = sse.lines_event(["before", huge, "after"], ["1", "2", "3"], [None] * 3, "1")
    texts = [html.unescape(re.sub(r"<[^>]+>", "", line)) for line in event.split("\n") if line.startswith("data:")]
    assert texts == ["data: before", "data: still shown", "data: after"]
