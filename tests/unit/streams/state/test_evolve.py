"""``evolve`` makes exactly what ``dataclasses.replace`` makes, for every state class."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from streams.correlation.index import CallRef, IndexEntry
from streams.correlation.route import Route
from streams.state.calls import CallState, Pending
from streams.state.evolve import evolve
from streams.state.held import Held, Origin

ORIGIN = Origin("t", 1, 2, 3.0)
CASES = [
    (CallState("active", 1.0, 2.0, phone="+1555"), {"status": "ended", "ended_at": 5.0}),
    (Pending("lookup", {"a": 1}, 1.0), {"registered": 2.0}),
    (Held("supervisor", b"{}", ORIGIN, 1.0), {"arrived": 9.0, "waits": "request"}),
    (
        Route(
            ("phone:+1", "customer:C"),
        ),
        {"hop": 1, "phase": "final"},
    ),
    (IndexEntry({"v3:a": CallRef(True, 1.0)}), {"held": ()}),
]


@pytest.mark.parametrize(("value", "changes"), CASES)
def test_evolve_equals_replace(value: object, changes: dict[str, object]) -> None:
    """Same fields, same values, same type; the original is untouched."""
    before = repr(value)
    assert evolve(value, **changes) == dataclasses.replace(value, **changes)  # type: ignore[type-var]
    assert repr(value) == before


def test_an_unknown_field_is_refused() -> None:
    """A typo is an error, as it is for ``dataclasses.replace``."""
    with pytest.raises(TypeError, match="no field 'statuss'"):
        evolve(CASES[0][0], statuss="ended")


def test_a_class_with_post_init_is_refused() -> None:
    """A class whose ``__init__`` does more than assign would be copied wrongly: refused."""

    @dataclass(frozen=True)
    class Checked:
        n: int

        def __post_init__(self) -> None:
            assert self.n >= 0

    with pytest.raises(TypeError, match="not a plain dataclass"):
        evolve(Checked(1), n=2)
