"""The chaos judge, rule by rule, on plain values."""

from __future__ import annotations

import pytest

from devkit.chaos.judge import Applied, Attempt, judge, longest_gap, recovery_time
from devkit.chaos.ledger import Accepted, Item, make_token, tokens_in

RUN = "0123abcd"
CALL = "v3:chaos-a"
OTHER = "v3:chaos-b"


def item(seq: int, *, call: str = CALL, channel: str = "supervisor") -> Item:
    return Item(make_token(RUN, call[-1], seq), call, channel, seq)


def accepted(seq: int, at: float, **kwargs: str) -> Accepted:
    return Accepted(item(seq, **kwargs), at=at, attempts=1)


def applied(
    seq: int, at: float, *, call: str = CALL, position: int = 0, command: str | None = None
) -> Applied:
    token = make_token(RUN, call[-1], seq)
    return Applied(call, token, command or f"cmd-{token}", at, position)


def test_every_item_once_in_order_is_a_clean_verdict() -> None:
    """Three items accepted and applied once each, in order: nothing to report."""
    sent = [accepted(n, at=10.0 + n) for n in range(3)]
    verdict = judge(
        sent,
        sent={a.item.token for a in sent},
        applied=[applied(n, at=10.5 + n, position=n) for n in range(3)],
    )
    assert verdict.ok, verdict.problems
    assert (verdict.accepted, verdict.delivered, verdict.lost_count) == (3, 3, 0)
    assert verdict.latency_p50_s == pytest.approx(0.5)


def test_an_accepted_item_that_never_arrived_is_lost() -> None:
    """Accepted, not applied, not dead-lettered: lost, named in the verdict."""
    sent = [accepted(0, at=1.0), accepted(1, at=2.0)]
    verdict = judge(sent, sent={a.item.token for a in sent}, applied=[applied(0, at=1.1)])
    assert verdict.lost == (sent[1].item.token,)
    assert not verdict.ok
    assert "lost" in verdict.problems[0]


def test_a_dead_lettered_item_is_accounted_for_with_its_reason() -> None:
    """Accepted and dead-lettered (or ended with the call): not lost, counted by reason."""
    sent = [accepted(0, at=1.0), accepted(1, at=2.0)]
    verdict = judge(
        sent,
        sent={a.item.token for a in sent},
        applied=[],
        terminal={sent[0].item.token: "call_ended", sent[1].item.token: "call_ended"},
    )
    assert verdict.ok
    assert verdict.dead_lettered == {"call_ended": 2}
    assert verdict.delivered == 0


@pytest.mark.parametrize(
    ("commands", "extra"),
    [
        (["same", "same"], 1),  # one command id applied twice (past the remote's window)
        (["one", "two"], 1),  # the same item under two command ids
        (["one", "two", "three"], 2),
    ],
)
def test_an_item_applied_twice_is_a_duplicated_effect(commands: list[str], extra: int) -> None:
    """Whatever command ids carried it, every extra application of an item counts."""
    sent = [accepted(0, at=1.0)]
    copies = [
        applied(0, at=1.0 + n, position=n, command=command) for n, command in enumerate(commands)
    ]
    verdict = judge(sent, sent={sent[0].item.token}, applied=copies)
    assert verdict.duplicated_effects == extra
    assert verdict.duplicated == (sent[0].item.token,)
    assert not verdict.ok


def test_repeats_the_remote_absorbed_are_counted_not_blamed() -> None:
    """Raw requests ignored as a repeated command_id are reported, and are no fault."""
    sent = [accepted(0, at=1.0)]
    token = sent[0].item.token
    attempts = [
        Attempt(CALL, f"cmd-{token}", 1.1, 503, "fault"),
        Attempt(CALL, f"cmd-{token}", 1.2, 200, "duplicate"),
        Attempt(CALL, f"cmd-{token}", 1.3, 200, "duplicate"),
    ]
    verdict = judge(sent, sent={token}, applied=[applied(0, at=1.1)], attempts=attempts)
    assert verdict.absorbed == 2
    assert verdict.ok


@pytest.mark.parametrize(
    ("arrival_order", "channel", "inversions"),
    [
        ([0, 1, 2], "supervisor", 0),
        ([1, 0, 2], "supervisor", 1),
        ([2, 1, 0], "supervisor", 2),
        ([2, 1, 0], "tool", 0),  # tool results may finish in any order: not judged
    ],
)
def test_order_is_judged_per_call_and_ordered_channel(
    arrival_order: list[int], channel: str, inversions: int
) -> None:
    """An item applied before one its sender had been told was accepted earlier is out of order."""
    sent = [accepted(n, at=float(n), channel=channel) for n in range(3)]
    copies = [applied(seq, at=10.0 + pos, position=pos) for pos, seq in enumerate(arrival_order)]
    verdict = judge(sent, sent={a.item.token for a in sent}, applied=copies)
    assert verdict.out_of_order == inversions


def test_calls_and_channels_are_separate_lanes() -> None:
    """Two calls interleaving, each in its own order, is in order."""
    sent = [accepted(0, at=1.0), accepted(1, at=2.0)]
    sent += [accepted(0, at=1.5, call=OTHER), accepted(1, at=2.5, call=OTHER)]
    copies = [
        applied(0, at=5.0, call=OTHER),
        applied(0, at=5.1),
        applied(1, at=5.2, call=OTHER, position=1),
        applied(1, at=5.3, position=1),
    ]
    verdict = judge(sent, sent={a.item.token for a in sent}, applied=copies)
    assert verdict.out_of_order == 0
    assert verdict.ok


def test_a_command_applied_after_the_hangup_is_a_violation() -> None:
    """The call ended at t=5: a command applied at t=6 breaks the promise."""
    sent = [accepted(0, at=1.0), accepted(1, at=2.0)]
    copies = [applied(0, at=4.0), applied(1, at=6.0, position=1)]
    late = [Attempt(CALL, "cmd-x", 5.5, 422, "call_ended")]
    verdict = judge(
        sent,
        sent={a.item.token for a in sent},
        applied=copies,
        attempts=late,
        ended_at={CALL: 5.0},
    )
    assert verdict.applied_after_hangup == 1
    assert (verdict.attempts_after_hangup, verdict.most_attempts_after_hangup) == (1, 1)
    assert not verdict.ok


def test_items_nobody_was_told_about_are_told_apart_from_foreign_ones() -> None:
    """Sent but never acknowledged (a 503 that was written anyway) is allowed; unsent is not."""
    token = make_token(RUN, "a", 7)
    copies = [
        Applied(CALL, token, "c1", 1.0, 0),
        Applied(CALL, make_token(RUN, "z", 1), "c2", 1.1, 1),
        Applied(CALL, None, "c3", 1.2, 2),
    ]
    verdict = judge([], sent={token}, applied=copies)
    assert (verdict.unacknowledged, verdict.foreign) == (1, 2)
    assert not verdict.ok


@pytest.mark.parametrize(
    ("accepted_at", "arrivals", "recovery"),
    [
        # Backlog (accepted before the end at t=10) arrives at 14; the first fresh one at 12.
        ([5.0, 11.0], [14.0, 12.0], 4.0),
        # The backlog was in before the fault ended; the first fresh item arrived at 10.5.
        ([5.0, 10.2], [6.0, 10.5], 0.5),
        # Nothing accepted after the end arrived: not recovered.
        ([5.0, 11.0], [6.0, None], None),
    ],
)
def test_recovery_runs_until_backlog_in_and_fresh_items_arriving(
    accepted_at: list[float], arrivals: list[float | None], recovery: float | None
) -> None:
    """Recovery: the later of the last backlog arrival and the first fresh arrival."""
    sent = [accepted(n, at=at) for n, at in enumerate(accepted_at)]
    first = {
        sent[n].item.token: applied(n, at=arrival)
        for n, arrival in enumerate(arrivals)
        if arrival is not None
    }
    found = recovery_time(sent, first, fault_end=10.0)
    assert found == (None if recovery is None else pytest.approx(recovery))


def test_tokens_are_found_in_any_bytes() -> None:
    """A token is read back out of text and out of bytes that are not UTF-8."""
    token = make_token(RUN, "p", 3)
    assert tokens_in(f"Supervisor note {token}.") == [token]
    assert tokens_in(b"\xff\xfe" + token.encode() + b"\x00") == [token]
    assert tokens_in(None) == []


def test_the_longest_gap_spans_all_calls_and_says_when_it_began() -> None:
    """Deliveries to two calls interleave; the longest pause with none to either is found."""
    found = longest_gap(
        [
            applied(0, at=10.0),
            applied(0, at=10.5, call=OTHER),
            applied(1, at=11.0),
            applied(1, at=19.0, call=OTHER),
            applied(2, at=19.2),
        ]
    )
    assert found is not None
    assert found.seconds == pytest.approx(8.0)
    assert found.began_at == pytest.approx(11.0)


def test_no_gap_without_two_deliveries() -> None:
    """One delivery (or none) has no gap to measure."""
    assert longest_gap([]) is None
    assert longest_gap([applied(0, at=1.0)]) is None
