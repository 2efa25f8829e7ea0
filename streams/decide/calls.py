"""The join for one call: given its state and one input, the new state and what goes out.

Per kind of input, for a call that is not yet known / live / ended:

==================  ==================  =========================  ====================
input               call not yet known  call live                  call ended
==================  ==================  =========================  ====================
lifecycle event     creates it; held    advances the status        absorbed (counted)
                    inputs flushed
tool call           creates it (proof   request registered, tool   dead letter
                    of life); flushed   runner asked, waiting      ``call_ended``
                                        result joined
tool result         held (grace)        joined with its request    dead letter
                                        → injected; no request:    ``call_ended``
                                        held (grace)
supervisor message  held (grace)        injected                   dead letter
source event        held (grace)        injected (if its rule      dead letter
                                        says so)                   ``call_ended``
==================  ==================  =========================  ====================

An input whose id the call has already applied is dropped as a duplicate.
Held inputs are flushed in arrival order when the call becomes known; what
stays unknown past the grace period is dead-lettered by ``decide.expiry``.

Pure: no I/O, no clock (``now`` is passed in), never raises for bad data.
"""

from __future__ import annotations

from dataclasses import dataclass

from streams.correlation.keys import customer_phone
from streams.correlation.learn import learn
from streams.decide import followups, messages, tools
from streams.decide.inputs import (
    CallEventIn,
    Input,
    SourceIn,
    SupervisorIn,
    ToolCallIn,
    ToolResultIn,
)
from streams.decide.lifecycle import end, go_live, new_call, target_status
from streams.decide.outputs import Dropped, Output
from streams.decide.rules import Rules
from streams.decide.seen import input_digest
from streams.decide.step import Step, dead_letter, flush, remembered
from streams.state.calls import CallState
from streams.state.evolve import evolve


@dataclass(frozen=True, slots=True)
class Decision:
    """The state to store (``None``: delete it) and the outputs, in the order they must go out."""

    state: CallState | None
    outputs: tuple[Output, ...]


def decide(state: CallState | None, item: Input, rules: Rules, now: float) -> Decision:
    """Apply ``item`` to the call's ``state`` (``None`` when the call is unknown)."""
    step = Step(rules, now, [], apply)
    new = apply(state, item, step, None)
    return Decision(new, tuple(step.out))


def apply(state: CallState | None, item: Input, step: Step, arrived: float | None) -> CallState:
    """``decide``'s body: appends outputs to ``step.out`` and returns the new state.

    ``arrived`` is when a revived held input first arrived (its grace period
    keeps running if it has to wait again).
    """
    seen_as = input_digest(item)
    if state is not None and state.has_seen(seen_as):
        step.out.append(Dropped("duplicate", item.kind, item.call_control_id))
        return state
    if state is not None and state.over:
        return _after_end(state, item, seen_as, step)
    match item:
        case CallEventIn():
            return _call_event(state, item, seen_as, step)
        case ToolCallIn():
            return tools.tool_call(state, item, seen_as, step)
        case ToolResultIn():
            return tools.tool_result(state, item, seen_as, step, arrived)
        case SupervisorIn() | SourceIn():
            return messages.message(state, item, seen_as, step, arrived)


def _after_end(state: CallState, item: Input, seen_as: str, step: Step) -> CallState:
    if item.kind == "call_event":
        # Webhooks after the hangup (a late answer, a recording saved) are normal.
        step.out.append(Dropped("lifecycle_after_end", item.kind, item.call_control_id))
    else:
        reason = state.end_reason or "ended"
        step.out.append(dead_letter(item, "call_ended", f"the call has ended ({reason})"))
        if isinstance(item, ToolResultIn | SourceIn | SupervisorIn):
            state = _follow_up(state, item, step)
    return remembered(state, seen_as, step)


def _follow_up(
    state: CallState, item: ToolResultIn | SourceIn | SupervisorIn, step: Step
) -> CallState:
    """``state`` with ``item``, which its call will never hear, gathered for a follow-up."""
    cause = followups.from_input(state, item, step.rules, step.now)
    if isinstance(item, ToolResultIn) and item.record.request_id in state.pending:
        rid = item.record.request_id
        state = evolve(state, pending={k: p for k, p in state.pending.items() if k != rid})
    if cause is None:
        return state
    taken = followups.take(
        state, item.call_control_id, cause, rules=step.rules, now=step.now, out=step.out
    )
    return taken or state


def _call_event(state: CallState | None, item: CallEventIn, seen_as: str, step: Step) -> CallState:
    event, call, now = item.record, item.call_control_id, step.now
    payload = event.payload
    base = state or new_call(now)
    was_unknown = base.status == "unknown"
    new = evolve(base, last_seen=now, from_=base.from_ or payload.from_, to=base.to or payload.to)
    new = learn(
        new,
        call,
        step.out,
        region=step.rules.streams.default_region,
        phone=customer_phone(payload),
        customer_id=payload.customer_id,
    )
    target = target_status(event.event_type)
    if target == "ended":
        limit = step.rules.streams.max_seen_ids_per_call
        ended = end(new, call, event.event_type, now, step.out, seen_limit=limit)
        new = followups.after_end(new, ended, call, rules=step.rules, now=now, out=step.out)
    else:
        new = go_live(new, target, call, step.out)
    new = remembered(new, seen_as, step)
    return flush(new, call, step) if was_unknown else new
