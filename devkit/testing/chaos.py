"""Fault scenarios in tests: a pipeline's settings on a given cluster, and the promise asserted.

Pytest's own ``assert``: a failure names what broke (the first lost or
doubled tokens, the failed checks), as the fault suite's report would.
"""

from __future__ import annotations

import os

import pytest

from callstream.settings import Settings, load_settings
from devkit.chaos.scenarios.base import Result
from devkit.dev.config import DEVELOPER_SETTINGS


def pipeline_settings(bootstrap: str, prefix: str) -> tuple[Settings, dict[str, str]]:
    """The settings and child environment of a pipeline on ``bootstrap`` under ``prefix``,
    without the developer's own settings (``DEVELOPER_SETTINGS``)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in DEVELOPER_SETTINGS:
            patch.delenv(name, raising=False)
        patch.setenv("KAFKA_BOOTSTRAP_SERVERS", bootstrap)
        patch.setenv("CALLSTREAM_TOPIC_PREFIX", prefix)
        return load_settings(), dict(os.environ)


def assert_promise_held(result: Result) -> None:
    """Something was accepted; nothing lost, doubled or reordered; every check passed; and
    items accepted after the fault arrived (it recovered)."""
    verdict = result.verdict
    failed = [f"{c.name}: {c.detail}" for c in result.checks if not c.ok]
    assert verdict.accepted > 0, "the load never got an item accepted"
    assert verdict.lost_count == 0, verdict.lost[:5]
    assert verdict.duplicated_effects == 0, verdict.duplicated[:5]
    assert verdict.out_of_order == 0
    assert verdict.ok, verdict.problems
    assert not failed, failed
    assert verdict.recovery_s is not None, "nothing accepted after the fault ever arrived"
