"""The browser the console's tests and the demo's screenshots drive: Debian's ``chromium``.

Playwright drives it through ``executable_path``; ``playwright install`` is
never run and no browser is downloaded. ``CALLSTREAM_CHROMIUM`` names another
binary. ``.ci/run`` (and ``make test``) install the package when it is missing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser")


def find_chromium() -> Path | None:
    """The Chromium binary to drive, or None when none is installed."""
    named = os.environ.get("CALLSTREAM_CHROMIUM")
    if named:
        return Path(named) if Path(named).is_file() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def why_no_browser() -> str | None:
    """None when screenshots and browser tests can run; else what is missing, and the fix."""
    try:
        import playwright  # noqa: F401 - only whether it is installed
    except ImportError:
        return "Playwright for Python is not installed (make install adds it)"
    if find_chromium() is None:
        return (
            "no chromium binary on PATH (Debian: apt-get install chromium; "
            "or set CALLSTREAM_CHROMIUM)"
        )
    return None
