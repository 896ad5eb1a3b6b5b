"""Real Chromium for the benchmark's browser figures, launched as the baked project's browser tests launch it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, sync_playwright

PROJECT = Path(__file__).resolve().parent / "work" / "log_viewer"
sys.path[:0] = [str(PROJECT), str(PROJECT / "tests")]
from helpers import CHROMIUM_ARGS  # noqa: E402


@contextmanager
def opened_page(url: str, ready: str, password: str | None = None) -> Iterator[tuple[BrowserContext, Page]]:
    """``url`` open in headless Chromium once ``ready`` (a selector) shows."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            credentials = {"username": "admin", "password": password} if password else None
            context = browser.new_context(http_credentials=credentials)
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector(ready, state="attached")
            yield context, page
        finally:
            browser.close()


def viewer_page(base: str, password: str, name: str):
    """The viewer of ``name`` open in headless Chromium, its stream live."""
    return opened_page(f"{base}/view/{name}", "#status[data-state=live]", password)
