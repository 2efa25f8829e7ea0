"""Which dead letters a replay picks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callstream.dlq import ReplayFilter
from callstream.records import DeadLetter

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LETTER = DeadLetter(
    stage="injector",
    reason="failed",
    error="5xx for 2 minutes",
    topic="callstream.injections",
    at=AT,
    call_control_id="v3:a",
)


@pytest.mark.parametrize(
    ("wanted", "matches"),
    [
        (ReplayFilter(), True),
        (ReplayFilter(reasons=frozenset({"failed"})), True),
        (ReplayFilter(reasons=frozenset({"unknown_call", "failed"})), True),
        (ReplayFilter(reasons=frozenset({"unknown_call"})), False),
        (ReplayFilter(stages=frozenset({"streams"})), False),
        (ReplayFilter(call_ids=frozenset({"v3:a"})), True),
        (ReplayFilter(call_ids=frozenset({"v3:b"})), False),
        (ReplayFilter(topics=frozenset({"callstream.injections"})), True),
        (ReplayFilter(since=AT), True),
        (ReplayFilter(since=datetime(2026, 11, 23, 12, 1, tzinfo=UTC)), False),
        (ReplayFilter(until=datetime(2026, 11, 23, 11, 59, tzinfo=UTC)), False),
        (ReplayFilter(reasons=frozenset({"failed"}), stages=frozenset({"streams"})), False),
    ],
)
def test_every_criterion_must_hold(wanted: ReplayFilter, matches: bool) -> None:
    """Criteria combine with AND; an empty criterion matches everything."""
    assert wanted.matches(LETTER) is matches


def test_an_empty_time_window_is_refused() -> None:
    """--since after --until could never match, so it is an error, not a silent no-op."""
    with pytest.raises(ValueError, match="after --until"):
        ReplayFilter(since=AT, until=datetime(2026, 11, 22, tzinfo=UTC))
