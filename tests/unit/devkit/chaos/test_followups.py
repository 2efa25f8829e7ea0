"""The chaos judge of follow-ups: lost and duplicated, only for followed-up senders."""

from __future__ import annotations

import pytest

from devkit.chaos.followups import judge_followups

TOOL, FRAUD, CRM = "chaos-ab12cd34-0-1", "chaos-ab12cd34-0-2", "chaos-ab12cd34-1-3"
CHANNELS = {TOOL: "tool", FRAUD: "fraud", CRM: "crm"}


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
    tally = judge_followups([TOOL, FRAUD, CRM], followed, CHANNELS)
    assert tally.due == {TOOL, FRAUD}
    assert (tally.lost, tally.duplicated) == (lost, duplicated)
