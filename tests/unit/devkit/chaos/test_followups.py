"""The chaos judge of follow-ups: lost and duplicated, only for followed-up senders."""

from __future__ import annotations

import pytest

from devkit.chaos.followups import judge_followups, sender_of

TOOL, FRAUD, CRM = "chaos-ab12cd34-tool-1", "chaos-ab12cd34-fraud-2", "chaos-ab12cd34-crm-3"


def test_sender_of_reads_the_token() -> None:
    assert [sender_of(t) for t in (TOOL, FRAUD, CRM)] == ["tool", "fraud", "crm"]


@pytest.mark.parametrize(
    ("followed", "lost", "duplicated"),
    [
        ({TOOL: {"f1"}, FRAUD: {"f2"}}, set(), set()),
        ({TOOL: {"f1"}}, {FRAUD}, set()),
        ({TOOL: {"f1", "f3"}, FRAUD: {"f2"}}, set(), {TOOL}),
        ({TOOL: {"f1"}, FRAUD: {"f1"}, CRM: {"f1"}}, set(), set()),
    ],
    ids=["each once", "one lost", "one twice", "one follow-up for several"],
)
def test_lost_and_duplicated(
    followed: dict[str, set[str]], lost: set[str], duplicated: set[str]
) -> None:
    """A CRM item is never due; one follow-up may carry several items."""
    tally = judge_followups([TOOL, FRAUD, CRM], followed)
    assert tally.due == {TOOL, FRAUD}
    assert (tally.lost, tally.duplicated) == (lost, duplicated)
