"""Compose variable interpolation, as the Compose Specification defines it."""

from __future__ import annotations

import pytest

from devkit.testing.compose import interpolate

ENV = {"SET": "value", "EMPTY": ""}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${SET}", "value"),
        ("$SET/x", "value/x"),
        ("${UNSET}", ""),
        ("${SET:-d}", "value"),
        ("${EMPTY:-d}", "d"),
        ("${UNSET:-d}", "d"),
        ("${SET-d}", "value"),
        ("${EMPTY-d}", ""),
        ("${UNSET-d}", "d"),
        ("$${SET}", "${SET}"),
        ("a ${SET} b ${UNSET-c}", "a value b c"),
        ("${UNSET:-http://emulator:8090/v2}", "http://emulator:8090/v2"),
    ],
)
def test_interpolation(text: str, expected: str) -> None:
    """Each form resolves as Compose resolves it; '-' keeps an empty value, ':-' does not."""
    assert interpolate(text, ENV) == expected


@pytest.mark.parametrize("text", ["${UNSET:?needed}", "${EMPTY:?needed}", "${UNSET?needed}"])
def test_required_variables_fail(text: str) -> None:
    """A required variable that is missing (or empty, with ':?') is an error naming it."""
    with pytest.raises(ValueError, match="needed"):
        interpolate(text, ENV)
