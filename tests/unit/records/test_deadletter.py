"""Dead-letter metadata travels in headers and reads back unchanged."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callstream.records import DeadLetter
from callstream.records.deadletter import HEADER_PREFIX, MAX_ERROR_CHARS


def test_headers_round_trip() -> None:
    """What a stage writes into the headers is what ``dlq replay`` reads back."""
    letter = DeadLetter(
        stage="streams",
        reason="unknown_call",
        error="no call v3:x within 30 s",
        topic="callstream.tool-results",
        partition=3,
        offset=1234,
        at=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
        call_control_id="v3:x",
    )
    assert DeadLetter.from_headers(letter.headers()) == letter


def test_long_errors_are_truncated() -> None:
    """A huge error text cannot make a huge header."""
    letter = DeadLetter(
        stage="injector",
        reason="failed",
        error="x" * 10_000,
        topic="t",
        at=datetime(2026, 11, 23, tzinfo=UTC),
    )
    assert len(DeadLetter.from_headers(letter.headers()).error) == MAX_ERROR_CHARS


def test_records_without_metadata_are_refused() -> None:
    """A record with no callstream headers is not mistaken for a dead letter."""
    with pytest.raises(ValueError, match="stage"):
        DeadLetter.from_headers([("other", b"1")])


HEADER_NAMES = st.sampled_from(
    [
        f"{HEADER_PREFIX}{n}"
        for n in ("stage", "reason", "error", "topic", "partition", "offset", "at", "call")
    ]
) | st.text(max_size=20)


@given(st.lists(st.tuples(HEADER_NAMES, st.none() | st.binary(max_size=64)), max_size=12))
def test_arbitrary_headers_read_back_or_raise_value_error(
    headers: list[tuple[str, bytes | None]],
) -> None:
    """Whatever headers a DLQ record carries, reading them yields metadata or a ``ValueError``."""
    with contextlib.suppress(ValueError):
        DeadLetter.from_headers(headers)
