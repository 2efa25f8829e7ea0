"""The whole pipeline with its console (one per module), and a headless Chromium to read it.

The browser is Debian's ``chromium`` driven by Playwright through
``executable_path``; no browser is ever downloaded. Without one the tests are
skipped loudly here and fail under CI (``.ci/run`` installs it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from devkit.browser import find_chromium, why_no_browser
from devkit.dev.pipeline import LocalPipeline
from devkit.testing.broker import BrokerHandle
from devkit.testing.skips import missing_prerequisite
from tests.integration.e2e.conftest import running_pipeline

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the system's package."""
    missing = why_no_browser()
    if missing is not None:
        missing_prerequisite(f"the console's browser tests need a browser: {missing}")
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    assert chromium is not None
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def pipeline(
    kafka_broker: BrokerHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalPipeline]:
    """Every service running, the console among them."""
    state = Path(tmp_path_factory.mktemp("dev"))
    with running_pipeline(kafka_broker, state, console=True) as running:
        yield running


def logged_in(browser: Browser, pipeline: LocalPipeline, token: str) -> Page:
    """A fresh page logged in to the console with ``token`` (through its login form)."""
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(f"{pipeline.console_url}/login")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{pipeline.console_url}/")
    return page
