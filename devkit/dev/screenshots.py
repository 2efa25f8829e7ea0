"""PNG screenshots of the console's three pages, as ``callstream demo`` writes them.

Taken with Playwright driving the installed Chromium (``devkit.browser``), never
a downloaded one; the caller decides what to do when there is none.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from devkit.browser import find_chromium
from devkit.errors import DevStackError


def take_screenshots(console_url: str, token: str, call_id: str, out_dir: Path) -> list[Path]:
    """Log in to the console at ``console_url`` and capture Calls, the call, Dead letters."""
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise DevStackError("no chromium to take screenshots with")
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = {
        "calls": "/",
        "call": f"/calls/{quote(call_id, safe='')}",
        "dead-letters": "/dead-letters",
    }
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.goto(f"{console_url}/login")
            page.fill("#token", token)
            page.click("button[type=submit]")
            for name, path in pages.items():
                page.goto(f"{console_url}{path}")
                # The live script has taken over once the status says so.
                page.wait_for_function(
                    "document.getElementById('status').textContent === 'live'", timeout=15_000
                )
                target = out_dir / f"console-{name}.png"
                page.screenshot(path=str(target), full_page=True)
                written.append(target)
        finally:
            browser.close()
    return written
