"""``dlq replay --reason`` offers every reason a stage can dead-letter with, and only those."""

from __future__ import annotations

from typing import get_args

from callstream.records.deadletter import REASONS
from injector.outcomes import DEAD_LETTERED
from streams.decide.outputs import DeadLetterReason


def test_every_stage_reason_is_offered() -> None:
    """The streams worker's reasons and the injector's dead-lettered outcomes are all listed."""
    offered = set(REASONS)
    assert set(get_args(DeadLetterReason)) <= offered
    assert set(DEAD_LETTERED) <= offered


def test_reasons_are_listed_once() -> None:
    """No reason appears twice in the choices the CLI prints."""
    assert len(REASONS) == len(set(REASONS))
