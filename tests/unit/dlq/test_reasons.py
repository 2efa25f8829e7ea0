"""``dlq replay --reason`` offers every reason a stage can dead-letter with, and only those."""

from __future__ import annotations

from callstream.records.deadletter import REASONS
from injector.outcomes import DEAD_LETTERED


def test_the_injectors_dead_lettered_outcomes_are_offered() -> None:
    """Every outcome the injector dead-letters is a reason ``--reason`` accepts (the streams
    worker's reasons are the shared type itself)."""
    assert set(DEAD_LETTERED) <= set(REASONS)


def test_reasons_are_listed_once() -> None:
    """No reason appears twice in the choices the CLI prints."""
    assert len(REASONS) == len(set(REASONS))
