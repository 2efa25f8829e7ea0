"""Readiness is every named check passing; liveness is a recent heartbeat."""

from __future__ import annotations

import pytest

from callstream.ops import Health


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("checks", "ready"),
    [
        ({}, False),
        ({"broker": True}, True),
        ({"broker": True, "credentials": False}, False),
        ({"broker": False}, False),
    ],
)
def test_ready_only_when_every_check_passes(checks: dict[str, bool], ready: bool) -> None:
    """No checks yet means not ready; one failing check means not ready."""
    health = Health()
    for name, ok in checks.items():
        health.set(name, ok)
    assert health.report().ready is ready


def test_a_stalled_loop_is_neither_live_nor_ready() -> None:
    """Without a heartbeat for longer than the stall limit the service is reported dead."""
    clock = FakeClock()
    health = Health(stall_after_s=10, clock=clock)
    health.set("broker", True)
    clock.now = 9
    assert health.report().live
    clock.now = 11
    report = health.report()
    assert not report.live
    assert not report.ready
    health.beat()
    assert health.report().ready


def test_report_carries_the_reason() -> None:
    """The probe body says which check failed and why."""
    health = Health()
    health.set("credentials", False, "remote answered 401")
    assert health.report().checks == {"credentials": {"ok": False, "detail": "remote answered 401"}}
