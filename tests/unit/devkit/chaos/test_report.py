"""The report's rows and the waits after a 429, from plain values."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from devkit.chaos.judge import Attempt, judge
from devkit.chaos.ledger import Accepted, Item
from devkit.chaos.observe import Letter, Observation, Outcome
from devkit.chaos.report import COLUMNS, markdown, row
from devkit.chaos.scenarios.base import Check, Result
from devkit.chaos.scenarios.remote import _given_up, gaps_after

HEADER = {
    "date": "2026-01-01 00:00 UTC",
    "duration_s": 90.0,
    "machine": {"cores": 2, "cpu": "test cpu", "memory_gb": 4.0, "load_average": [1.0]},
}


def _result(*, lost: bool = False, check_ok: bool = True, timed: bool = True) -> Result:
    item = Item("chaos-0123abcd-0-0", "v3:a", "supervisor", 0)
    verdict = judge(
        [Accepted(item, at=1.0, attempts=1)],
        sent={item.token},
        applied=[],
        terminal={} if lost else {item.token: "call_ended"},
        fault_end=0.5 if timed else None,
    )
    return Result(
        name="scenario",
        load="1 call",
        fault="a fault",
        verdict=verdict,
        checks=(Check("the fault happened", check_ok),),
        answers={},
        abandoned=0,
        duration_s=3.0,
        details={},
        recovery_timed=timed,
    )


def test_a_row_has_a_cell_per_column_and_says_pass() -> None:
    """An item accounted for by a dead letter: one cell per column, the reason, pass."""
    cells = row(_result(timed=False))
    assert len(cells) == len(COLUMNS)
    assert cells[COLUMNS.index("dead-lettered")] == "1 call_ended"
    assert cells[COLUMNS.index("lost")] == "0"
    assert cells[COLUMNS.index("recovery")] == "n/a"
    assert cells[-1] == "pass"


def test_a_loss_and_a_failed_check_are_named_in_the_row() -> None:
    """A lost item and a failed check make the row say FAIL, naming both."""
    result = _result(lost=True, check_ok=False)
    cells = row(result)
    assert not result.passed
    assert cells[COLUMNS.index("lost")] == "1"
    assert cells[COLUMNS.index("recovery")] == "did not recover"
    assert cells[-1].startswith("FAIL: the fault happened; 1 accepted item(s) lost")


def test_the_markdown_is_a_header_line_then_the_table() -> None:
    """One line about the run and the machine, then a table row per result."""
    lines = markdown([_result(), _result()], HEADER).splitlines()
    assert "2026-01-01" in lines[0]
    assert "test cpu" in lines[0]
    assert lines[2].startswith("| scenario |")
    assert len(lines) == 6


def test_waits_after_a_429_are_measured_per_command() -> None:
    """Only the gap that follows a 429 of the same call and command counts."""
    attempts = [
        Attempt("v3:a", "c1", 10.0, 429, "fault"),
        Attempt("v3:a", "c1", 12.5, 200, ""),
        Attempt("v3:a", "c2", 11.0, 429, "fault"),
        Attempt("v3:b", "c2", 11.5, 200, ""),  # another call: not a retry of v3:a's c2
        Attempt("v3:a", "c2", 13.0, 503, "fault"),
        Attempt("v3:a", "c2", 13.2, 200, ""),  # follows a 503, not a 429
    ]
    assert sorted(gaps_after(attempts, 429)) == [2.0, 2.5]


class _Retry:
    max_attempts = 8


class _Session:
    """What the give-up checks read of a session: the observation and the retry limit."""

    def __init__(self, outcomes: list[Outcome], letters: list[Letter]) -> None:
        self._observation = Observation(outcomes=outcomes, letters=letters)
        injector = SimpleNamespace(retry=_Retry)
        self.pipeline = SimpleNamespace(config=SimpleNamespace(injector=injector))

    def observe(self) -> Observation:
        return self._observation


def _letter(reason: str) -> Letter:
    return Letter("chaos-0123abcd-0-1", "injector", reason, "injections")


def test_an_injection_failed_after_its_attempts_is_allowed_only_where_retries_may_run_out() -> None:
    exhausted = [Outcome("t1", "delivered", 1), Outcome("t2", "failed", 8)]
    session: Any = _Session(exhausted, [_letter("failed")])
    assert _given_up(session, exhausted_allowed=True) == ([], 1)
    assert _given_up(session, exhausted_allowed=False) == (["failed after 8", "failed"], 0)


def test_giving_up_early_or_for_another_reason_is_never_allowed() -> None:
    early = [Outcome("t1", "failed", 3), Outcome("t2", "expired", 2)]
    session: Any = _Session(early, [_letter("failed"), _letter("expired")])
    given_up, exhausted = _given_up(session, exhausted_allowed=True)
    assert given_up == ["failed after 3", "expired after 2", "expired"]
    assert exhausted == 0
