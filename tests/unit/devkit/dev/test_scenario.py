"""Judging a call's transcript against the reference scenario."""

from __future__ import annotations

from typing import Any

import pytest

from devkit.dev import scenario


def _entry(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "system", "content": text}]}


GOOD = [
    _entry("[LOYALTY POINTS]\nx"),
    _entry("[ORDER LOOKUP COMPLETE]\nx"),
    _entry("[CRM PROFILE UPDATED]\nx"),
    _entry("[FRAUD ALERT]\nx"),
    _entry(scenario.SUPERVISOR_NOTE),
]


def test_the_expected_transcript_passes() -> None:
    """Five messages, each once, in the scenario's order: no problems."""
    assert scenario.check_transcript(GOOD) == []


@pytest.mark.parametrize(
    ("transcript", "problem"),
    [
        (GOOD[:4], "supervisor note: arrived 0 times"),
        ([*GOOD, GOOD[3]], "fraud alert by customer id: arrived 2 times"),
        ([GOOD[1], GOOD[0], *GOOD[2:]], "out of order"),
        ([*GOOD, _entry("[SOMETHING ELSE]")], "1 unexpected message"),
    ],
)
def test_each_kind_of_failure_is_named(transcript: list[dict[str, Any]], problem: str) -> None:
    """A missing, doubled, reordered or extra message is reported as such."""
    assert any(problem in found for found in scenario.check_transcript(transcript))


def test_numbered_personas_are_distinct() -> None:
    """Concurrent callers never share a phone number, customer id or order id."""
    personas = [scenario.Persona.numbered(n) for n in range(200)]
    for field in ("caller", "caller_as_crm_writes_it", "customer_id", "order_id"):
        assert len({getattr(p, field) for p in personas}) == 200
