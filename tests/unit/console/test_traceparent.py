"""The trace id of a record comes from a valid W3C traceparent header only."""

from __future__ import annotations

import pytest

from console.view.traceparent import trace_id, trace_of

GOOD = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (GOOD, "4bf92f3577b34da6a3ce929d0e0e4736"),
        (" " + GOOD + " ", "4bf92f3577b34da6a3ce929d0e0e4736"),
        # a later version may append fields; they are ignored
        (
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "4bf92f3577b34da6a3ce929d0e0e4736",
        ),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", None),  # v00: 4 fields
        ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None),  # forbidden version
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", None),  # invalid trace id
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", None),  # invalid parent id
        ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", None),  # upper case
        ("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", None),  # short
        ("<script>", None),
        ("", None),
    ],
)
def test_trace_id_follows_the_w3c_format(value: str, expected: str | None) -> None:
    """version-traceid-parentid-flags, lower-case hex, no all-zero ids."""
    assert trace_id(value) == expected


def test_trace_of_reads_the_traceparent_header_whatever_its_case() -> None:
    """The header name is case-insensitive; a record without one has no trace."""
    assert trace_of([("other", b"x"), ("Traceparent", GOOD.encode())]) == GOOD[3:35]
    assert trace_of([("other", b"x")]) is None
    assert trace_of([("traceparent", None)]) is None
