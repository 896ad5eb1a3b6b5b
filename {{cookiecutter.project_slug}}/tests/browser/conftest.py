"""Real headless Chromium (Debian's package) driven by Playwright, against real gunicorn."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from helpers import AUTH, CHROMIUM_ARGS, require_tool
from servers import Server, emptied


@pytest.fixture(scope="session")
def browser():
    chromium = require_tool("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed; pip install -e '.[browser]'")
        pytest.skip("playwright is not installed (pip install -e '.[browser]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One gunicorn for the module's pages."""
    root = tmp_path_factory.mktemp("server")
    (root / "logs").mkdir()
    running = Server(root / "logs", root / "state", LOG_VIEWER_ALLOWED_SUBDIRECTORIES="app").start()
    yield running
    running.stop()


@pytest.fixture
def log_dir(server: Server) -> Path:
    """The server's log directory, emptied but for ``app/``: tests never see each other's files."""
    return emptied(server.log_dir, ("app",))


@pytest.fixture
def context(browser, server):
    """A browser profile with the server's credentials; fails the test if anything went to another origin."""
    origin = f"http://127.0.0.1:{server.port}"
    opened = browser.new_context(base_url=origin, http_credentials={"username": AUTH[0], "password": AUTH[1]})
    requested: list[str] = []
    opened.on("request", lambda request: requested.append(request.url))
    yield opened
    opened.close()
    foreign = [url for url in requested if f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" != origin]
    assert foreign == [], f"requests left the page's origin: {foreign}"


@pytest.fixture
def page(context):
    """A page of its own browser profile."""
    return context.new_page()
