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
def viewer_page(base: str, password: str, name: str) -> Iterator[tuple[BrowserContext, Page]]:
    """The viewer of ``name`` open in headless Chromium, its stream live."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(http_credentials={"username": "admin", "password": password})
            page = context.new_page()
            page.goto(f"{base}/view/{name}")
            page.wait_for_selector("#status[data-state=live]")
            yield context, page
        finally:
            browser.close()
