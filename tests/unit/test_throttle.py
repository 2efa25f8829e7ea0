"""Repeated log causes are said once per interval, with a count of the repeats."""

from __future__ import annotations

from callstream.throttle import LogThrottle


def test_repeated_client_errors_are_logged_once_an_interval_with_a_count() -> None:
    """The first of a kind passes, repeats are held and counted, the next interval reports them."""
    now = [100.0]
    throttle = LogThrottle(30.0, clock=lambda: now[0])
    assert throttle.admit("_TRANSPORT") == 0
    assert throttle.admit("_TRANSPORT") is None
    assert throttle.admit("_ALL_BROKERS_DOWN") == 0, "each kind on its own"
    now[0] += 10
    assert throttle.admit("_TRANSPORT") is None
    now[0] += 25
    assert throttle.admit("_TRANSPORT") == 2
