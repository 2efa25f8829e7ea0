"""What every part of one call decision shares: the rules, the time, the outputs, holding.

A decision may recurse (a call becoming known revives what was held for it),
so the dispatcher itself travels in the ``Step`` as ``apply``; the helpers
here never import the modules that use them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from callstream.errors import RecordError
from streams.decide.inputs import Input, decode_input
from streams.decide.lifecycle import new_call
from streams.decide.outputs import DeadLetterOut, Dropped, Output
from streams.decide.rules import Rules
from streams.decide.seen import remember
from streams.state.calls import CallState
from streams.state.evolve import evolve
from streams.state.held import Held, Waits

MAX_HELD = 100
"""Records one call may hold at once; more are dead-lettered at once (a flood for a bogus id)."""

Apply = Callable[[CallState | None, Input, "Step", float | None], CallState]
"""Apply one input to a call's state (the dispatcher in ``decide.calls``)."""


@dataclass(frozen=True, slots=True)
class Step:
    """One decision in progress."""

    rules: Rules
    now: float
    out: list[Output]
    apply: Apply


def remembered(state: CallState, seen_as: str, step: Step) -> CallState:
    """``state`` having applied the input with digest ``seen_as``."""
    limit = step.rules.streams.max_seen_ids_per_call
    return evolve(state, seen=remember(state.seen, seen_as, limit))


def dead_letter(item: Input, reason: str, error: str) -> DeadLetterOut:
    """The dead letter of ``item``, keyed by its call."""
    call = item.call_control_id
    return DeadLetterOut(item.raw, item.origin, reason, error, call_control_id=call, key=call)


def hold(
    state: CallState | None,
    item: Input,
    seen_as: str,
    step: Step,
    *,
    waits: Waits,
    arrived: float | None,
) -> CallState:
    """``state`` holding ``item`` until its call (or its tool request) is known."""
    base = state or new_call(step.now)
    if any(held.digest == seen_as for held in base.held):
        step.out.append(Dropped("duplicate", item.kind, item.call_control_id))
        return base
    if len(base.held) >= MAX_HELD:
        error = f"more than {MAX_HELD} records are already waiting for this call"
        step.out.append(dead_letter(item, "unknown_call", error))
        return base
    since = step.now if arrived is None else arrived
    held = Held(item.kind, item.raw, item.origin, since, waits, digest=seen_as)
    return evolve(base, held=(*base.held, held))


def revive(state: CallState, held: Held, call: str, step: Step) -> CallState:
    """Apply a held input now (it decoded once, so a failure here is reported, never raised)."""
    try:
        item = decode_input(
            held.kind, held.raw, held.origin, step.rules.sources, call_control_id=call
        )
    except RecordError as exc:
        step.out.append(
            DeadLetterOut(held.raw, held.origin, exc.reason, exc.detail, call_control_id=call)
        )
        return state
    return step.apply(state, item, step, held.arrived)


def flush(state: CallState, call: str, step: Step) -> CallState:
    """Apply, in arrival order, the inputs that were waiting for this call to be known."""
    waiting = [held for held in state.held if held.waits == "call"]
    if not waiting:
        return state
    state = evolve(state, held=tuple(h for h in state.held if h.waits != "call"))
    for held in waiting:
        state = revive(state, held, call, step)
    return state
