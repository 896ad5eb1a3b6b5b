"""The viewer page as its users change it: any element but the log removed, and the README's examples.

The page is edited as a user edits ``viewer.html``: the HTML the server sends is changed before the
browser parses it, and files a user would add to ``static/`` are served as they are in the README.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from helpers import PREFIX, PROJECT_ROOT, append_lines, read_back_to, shown, wait_for_line

pytestmark = pytest.mark.browser

TEMPLATE = PROJECT_ROOT / "{{ cookiecutter.project_slug }}" / "templates" / "log_viewer" / "viewer.html"
README = (PROJECT_ROOT / "README.md").read_text()
LINES = [f"line {i}" for i in range(300)]  # more than a new page shows: scroll-back reads the rest

# Every element with an id, but the log itself: each must be removable, alone or with its kin.
OPTIONAL = sorted(set(re.findall(r'\bid="([\w-]+)"', TEMPLATE.read_text())) - {"log"})
GROUPS = {
    "search": ["search", "results"],
    "time and level forms": ["levels", "goto"],
    "side panel": ["detail"],
    "marks and summary": ["minimap", "level-summary"],
    "filter tools": ["filter", "regex", "case", "wrap", "pause"],
    "status": ["status"],
    "live button": ["live"],
    "start button": ["start"],
    "download": ["download"],
    "timeline": ["timeline"],
}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Elements(HTMLParser):
    """Where each element with one of ``ids`` starts and ends in the HTML text."""

    def __init__(self, html: str, ids: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.ids = ids
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", html)]
        self.spans: list[tuple[int, int]] = []
        self.inside: list = []  # [tag, start, depth] of the element being skipped

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.inside:
            self.inside[2] += tag == self.inside[0]
            return
        if dict(attrs).get("id") not in self.ids:
            return
        start = self._offset()
        if tag in VOID:
            self.spans.append((start, start + len(self.get_starttag_text())))
        else:
            self.inside = [tag, start, 1]

    def handle_endtag(self, tag: str) -> None:
        if not self.inside or tag != self.inside[0]:
            return
        self.inside[2] -= 1
        if not self.inside[2]:
            self.spans.append((self.inside[1], self.html.index(">", self._offset()) + 1))
            self.inside = []


def without(html: str, ids: list[str]) -> str:
    """``html`` with the elements of these ids (and all they hold) deleted, as a user deletes them."""
    parser = _Elements(html, set(ids))
    parser.feed(html)
    assert len(parser.spans) == len(ids), f"not all of {ids} are on the page"
    for start, end in sorted(parser.spans, reverse=True):
        html = html[:start] + html[end:]
    return html


def edit_page(page, edit: Callable[[str], str]) -> None:
    """Serve the viewer page changed by ``edit``, with the server's own headers (its CSP too).

    The browser signs in on the index first: the edited page is fetched by the test, not the browser,
    and without credentials of its own the shared worker's stream would be refused.
    """
    page.goto(f"{PREFIX}/")

    def handle(route) -> None:
        response = route.fetch()
        route.fulfill(response=response, body=edit(response.text()))

    page.route(f"**{PREFIX}/view/**", handle)


def page_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def works_live_and_back(page, log_dir) -> None:
    """A line appended shows live, and scrolling up reads back to the file's first line."""
    log = log_dir / "app.log"
    page.goto(f"{PREFIX}/view/app.log")
    wait_for_line(page, LINES[-1])
    append_lines(log, ["live line"])
    wait_for_line(page, "live line")
    read_back_to(page, LINES[0])
    assert shown(page) == [*LINES, "live line"]


@pytest.mark.parametrize("removed", [[name] for name in OPTIONAL] + list(GROUPS.values()), ids=str)
def test_the_page_works_without_any_element_but_the_log(page, log_dir, removed):
    append_lines(log_dir / "app.log", LINES)
    errors = page_errors(page)
    edit_page(page, lambda html: without(html, removed))
    works_live_and_back(page, log_dir)
    for name in removed:
        assert page.locator(f"#{name}").count() == 0
    assert errors == []


def test_the_matrix_covers_the_page():
    """Guards the matrix above: it covers every element of the page, and the groups name real ones."""
    assert {"search", "status", "detail", "minimap", "filter", "live"} <= set(OPTIONAL)
    assert {name for group in GROUPS.values() for name in group} <= set(OPTIONAL)


# --- the README's worked examples, read from the README itself -----------------------------------


def created_file(name: str) -> str:
    """The content the README gives for ``static/<name>``."""
    found = re.search(rf"Create `[^`]*/static/{re.escape(name)}`.*?```\w+\n(.*?)```", README, re.DOTALL)
    assert found, f"the README has no example creating static/{name}"
    return found.group(1)


def loading_tag(name: str) -> str:
    """The README's tag that loads ``static/<name>``, as Flask renders it."""
    found = re.search(rf"```html\n(<[^\n]*filename='{re.escape(name)}'[^\n]*)\n```", README)
    assert found, f"the README has no tag loading static/{name}"
    return re.sub(r"\{\{ url_for\('\.static', filename='([^']+)'\) \}\}", rf"{PREFIX}/static/\1", found.group(1))


def add_static_file(page, name: str, content_type: str) -> None:
    """``static/<name>`` as the README creates it, loaded by the README's tag at the end of the head."""
    page.route(
        f"**{PREFIX}/static/{name}", lambda route: route.fulfill(body=created_file(name), content_type=content_type)
    )
    edit_page(page, lambda html: html.replace("</head>", f"{loading_tag(name)}\n</head>"))


def test_readme_example_restyle_the_levels(page, log_dir):
    colours = dict(re.findall(r"--level-(\w+): (#[0-9a-f]{6});", created_file("site.css")))
    assert colours, "the example sets no level colour"
    lines = [f"2026-12-04 12:00:0{i},000 {level.upper():8} demo.app: a {level} line" for i, level in enumerate(colours)]
    append_lines(log_dir / "app.log", lines)
    errors = page_errors(page)
    add_static_file(page, "site.css", "text/css")
    page.goto(f"{PREFIX}/view/app.log")
    wait_for_line(page, lines[-1])
    for level, colour in colours.items():
        shown_colour = page.locator(f"#log .l[data-level={level}]").evaluate("e => getComputedStyle(e).color")
        red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert shown_colour == f"rgb({red}, {green}, {blue})", level
    assert errors == []


def test_readme_example_remove_a_feature(page, log_dir):
    paragraph = README[README.index("**2. Remove a feature.**") :].split("\n\n")[0]
    removed = re.findall(r'<\w+ id="([\w-]+)" \.\.\.>', paragraph)
    assert removed == ["search", "results"]
    append_lines(log_dir / "app.log", LINES)
    errors = page_errors(page)
    edit_page(page, lambda html: without(html, removed))
    works_live_and_back(page, log_dir)
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement === document.body")
    assert errors == []


def test_readme_example_add_a_link_per_line(page, log_dir):
    """Lines read back and lines arriving live get their links; each line's text stays the same."""
    admin = re.search(r'const ADMIN = "([^"]+)"', created_file("user-links.js")).group(1)
    first = "2026-12-04 12:00:03,000 INFO     demo.app: user 3484 signed in from 203.0.113.3"
    later = 'time=2026-12-04T12:00:06.000Z level=WARNING logger=app msg="user 1587 signed in" duration_ms=101'
    append_lines(log_dir / "app.log", [first, *LINES])
    errors = page_errors(page)
    add_static_file(page, "user-links.js", "text/javascript")
    page.goto(f"{PREFIX}/view/app.log")
    wait_for_line(page, LINES[-1])
    append_lines(log_dir / "app.log", [later])
    wait_for_line(page, later)
    read_back_to(page, first)
    links = page.eval_on_selector_all("#log .l a", "els => els.map(e => [e.textContent, e.href])")
    assert links == [["3484", f"{admin}3484"], ["1587", f"{admin}1587"]]
    assert shown(page) == [first, *LINES, later]
    assert errors == []
