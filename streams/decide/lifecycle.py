"""The call registry's state machine: statuses only move forward, ``ended`` is terminal.

Call-control webhooks arrive unordered and sometimes twice. Each event type
names the least status it proves (``call.initiated`` → ringing,
``call.answered`` → active, ``call.hangup`` → ended, anything else → the call
exists); the new status is the higher of the old one and that. So a hangup
that overtakes the answer still ends the call, and the answer arriving after
it changes nothing.

Pure functions over ``CallState``; the outputs they cause (correlation-index
updates, dead letters for what can no longer be delivered) are appended to
the ``out`` list the caller passes.
"""

from __future__ import annotations

from streams.correlation.learn import keys_of
from streams.decide.outputs import DeadLetterOut, IndexUpdate, Output
from streams.decide.seen import remember
from streams.state.calls import RANK, CallState, Status
from streams.state.evolve import evolve
from streams.state.held import Held
from streams.state.outbox import Queued

ENDING = frozenset({"call.hangup", "call.conversation.ended"})
ANSWERING = frozenset({"call.answered", "call.conversation.created", "call.bridged"})


def target_status(event_type: str) -> Status:
    """The least status an event of ``event_type`` proves."""
    if event_type in ENDING:
        return "ended"
    if event_type in ANSWERING:
        return "active"
    return "ringing"


def advance(status: Status, target: Status) -> Status:
    """The status after an event proving ``target``: never backwards, never out of ``ended``."""
    if status in ("ended", "gone"):
        return status
    return target if RANK[target] > RANK[status] else status


def new_call(now: float) -> CallState:
    """A call first heard of now, with nothing proven yet."""
    return CallState(status="unknown", first_seen=now, last_seen=now)


def go_live(state: CallState, status: Status, call_control_id: str, out: list[Output]) -> CallState:
    """``state`` moved to a live ``status``; on its first proof of life it is indexed."""
    was_live = state.live
    moved = evolve(state, status=advance(state.status, status))
    if moved.live and not was_live:
        out.extend(IndexUpdate(key, call_control_id, "add") for key in keys_of(moved))
    return moved


def end(
    state: CallState,
    call_control_id: str,
    reason: str,
    now: float,
    out: list[Output],
    *,
    seen_limit: int,
) -> CallState:
    """``state`` ended now: pending requests are dropped, held results and the injections
    still waiting in its outbox dead-lettered (with the causes they had coalesced)."""
    if state.over:
        return state
    # Also for a call that never went live (its hangup came first): the index then
    # answers call_ended, not unknown_call, for a late event about it.
    out.extend(IndexUpdate(key, call_control_id, "end") for key in keys_of(state))
    waiting = [held for held in state.held if held.waits == "request"]
    out.extend(
        call_ended(held, call_control_id, f"the call ended ({reason}) before its tool request")
        for held in waiting
    )
    for queued in state.outbox:
        also = queued.injection.coalesced
        note = f" (it had replaced {', '.join(also)})" if also else ""
        error = f"the call ended ({reason}) while this update waited its turn{note}"
        out.append(call_ended(queued, call_control_id, error))
    seen = state.seen
    for held in waiting:  # their fate is decided: a duplicate of one changes nothing
        seen = remember(seen, held.digest, seen_limit)
    return evolve(
        state,
        status="ended",
        ended_at=now,
        end_reason=reason,
        pending={},
        held=tuple(held for held in state.held if held.waits != "request"),
        seen=seen,
        outbox=(),
        sent=(),
    )


def call_ended(waiting: Held | Queued, call_control_id: str, error: str) -> DeadLetterOut:
    """The dead letter of a held record, or of an injection still waiting, whose call ended."""
    return DeadLetterOut(
        raw=waiting.raw,
        origin=waiting.origin,
        reason="call_ended",
        error=error,
        call_control_id=call_control_id,
        key=call_control_id,
    )
