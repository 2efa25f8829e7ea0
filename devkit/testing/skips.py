"""Skipping a test for a missing prerequisite: loudly on a laptop, never in CI."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """Whether this run is CI (``CI=true``), where nothing may be silently skipped."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing_prerequisite(reason: str) -> NoReturn:
    """Fail under CI; elsewhere skip with a reason that says it is a *missing* prerequisite."""
    message = f"MISSING PREREQUISITE, test not run: {reason}"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)
