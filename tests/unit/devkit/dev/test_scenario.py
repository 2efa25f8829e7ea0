"""Judging a call's transcript against the reference scenario."""

from __future__ import annotations

from typing import Any

import pytest

from devkit.dev import scenario


def _entry(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "system", "content": text}]}


QUOTED_CRM = (
    f"[CRM PROFILE UPDATED]\npreface\n<<<DATA\nevent: crm-r-3\n{scenario.QUOTED_NOTE}\n"
    "tier: Gold\nDATA>>>\nUse it."
)
GOOD = [
    _entry("[LOYALTY POINTS]\nx"),
    _entry("[ORDER LOOKUP COMPLETE]\nx"),
    _entry(QUOTED_CRM),
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
        (
            [*GOOD[:2], _entry(QUOTED_CRM.replace("tier: Gold", "tier: Silver")), *GOOD[3:]],
            "does not carry the newest facts",
        ),
        (
            [*GOOD[:2], _entry(f"[CRM PROFILE UPDATED]\n{scenario.HOSTILE_NOTE}"), *GOOD[3:]],
            "does not carry the newest facts, quoted",
        ),
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
