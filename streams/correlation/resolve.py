"""Resolving a source event without a call id through the correlation index.

The index entry for a key lives on the partition that owns the key. A source
event carrying correlation keys (in the configured order, e.g. phone then
customer id) travels from key to key:

1. **probe** — at each key in turn: live calls there? forward the event to
   each of them (under its call id) and stop; else try the next key.
2. No key has a live call: if one had an ended call, dead-letter ``call_ended``;
   otherwise go back to the *first* key and **hold** the event there.
3. A call indexed under that first key during the grace period gets the
   event at once. When the grace period runs out, a **final** pass looks the
   remaining keys up once more (a call may have become known under another
   key meanwhile), then dead-letters ``unknown_call`` (or ``call_ended``).

Index updates (``add`` on a call's first proof of life or when it learns a
key, ``end`` when it ends, ``remove`` when its record is retired) come from
the call join. Pure functions; outputs are values.
"""

from __future__ import annotations

from dataclasses import dataclass

from streams.correlation.index import CallRef, IndexEntry
from streams.correlation.route import Route
from streams.decide.outputs import DeadLetterOut, ForwardToCall, ForwardToKey, IndexUpdate, Output
from streams.decide.rules import Rules
from streams.state.evolve import evolve
from streams.state.held import Held, Origin

MAX_HELD_PER_KEY = 100


@dataclass(frozen=True, slots=True)
class IndexDecision:
    """The entry to store (``None``: delete it) and the outputs, in order."""

    entry: IndexEntry | None
    outputs: tuple[Output, ...]


def _stored(entry: IndexEntry, out: list[Output]) -> IndexDecision:
    return IndexDecision(None if entry.empty else entry, tuple(out))


def update(entry: IndexEntry | None, change: IndexUpdate, now: float) -> IndexDecision:
    """Apply an index update; a call added under the key receives the events held there."""
    entry = entry or IndexEntry()
    out: list[Output] = []
    calls = dict(entry.calls)
    known = calls.get(change.call_control_id)
    if change.op == "add":
        if known is None:  # an ended call is never made live again
            calls[change.call_control_id] = CallRef(live=True, since=now)
        if calls[change.call_control_id].live:
            out.extend(
                ForwardToCall(change.call_control_id, "source", held.raw, held.origin)
                for held in entry.held
            )
            entry = evolve(entry, held=())
    elif change.op == "end":
        calls[change.call_control_id] = CallRef(live=False, since=now)
    else:
        calls.pop(change.call_control_id, None)
    return _stored(evolve(entry, calls=calls), out)


def resolve(
    entry: IndexEntry | None, route: Route, raw: bytes, origin: Origin, now: float
) -> IndexDecision:
    """Route a source event that arrived at ``route.key``'s partition."""
    entry = entry or IndexEntry()
    out: list[Output] = []
    live = entry.live_calls
    if live:
        out.extend(ForwardToCall(call, "source", raw, origin) for call in live)
        return _stored(entry, out)
    route = evolve(route, ended_call=route.ended_call or entry.latest_ended)
    last = route.hop + 1 == len(route.keys)
    if route.phase == "hold":
        if route.ended_call is not None:
            out.append(_dead(raw, origin, route, "call_ended", "the call has ended"))
            return _stored(entry, out)
        return _hold(entry, route, raw, origin, now=now, out=out)
    if not last:
        out.append(ForwardToKey(evolve(route, hop=route.hop + 1), raw, origin))
        return _stored(entry, out)
    if route.ended_call is not None:
        error = f"the call with this customer ({route.ended_call}) has ended"
        out.append(_dead(raw, origin, route, "call_ended", error))
    elif route.phase == "final":
        error = "no live call has any of its correlation keys: " + ", ".join(route.keys)
        out.append(_dead(raw, origin, route, "unknown_call", error))
    elif len(route.keys) == 1:
        return _hold(entry, evolve(route, phase="hold"), raw, origin, now=now, out=out)
    else:
        out.append(ForwardToKey(Route(route.keys, 0, "hold"), raw, origin))
    return _stored(entry, out)


def _hold(
    entry: IndexEntry, route: Route, raw: bytes, origin: Origin, *, now: float, out: list[Output]
) -> IndexDecision:
    if len(entry.held) >= MAX_HELD_PER_KEY:
        error = f"more than {MAX_HELD_PER_KEY} events are already waiting for this key"
        out.append(_dead(raw, origin, route, "unknown_call", error))
        return _stored(entry, out)
    held = Held("source", raw, origin, now, "call", route)
    return _stored(evolve(entry, held=(*entry.held, held)), out)


def _dead(raw: bytes, origin: Origin, route: Route, reason: str, error: str) -> DeadLetterOut:
    return DeadLetterOut(
        raw, origin, reason, error, call_control_id=route.ended_call, key=route.keys[0]
    )


def next_deadline(entry: IndexEntry, rules: Rules) -> float | None:
    """When ``expire`` next has something to do for ``entry``, if ever."""
    config = rules.streams
    times = [held.arrived + config.grace_period_s for held in entry.held]
    times.extend(
        ref.since + config.ended_call_retention_s for ref in entry.calls.values() if not ref.live
    )
    return min(times) if times else None


def expire(entry: IndexEntry, rules: Rules, now: float) -> IndexDecision:
    """Held events past the grace period take their final pass; long-ended calls are dropped."""
    config = rules.streams
    out: list[Output] = []
    kept = []
    for held in entry.held:
        if held.arrived + config.grace_period_s > now:
            kept.append(held)
            continue
        route = held.route or Route(("(unknown key)",))
        if len(route.keys) > 1:
            out.append(ForwardToKey(Route(route.keys, 1, "final"), held.raw, held.origin))
        else:
            error = f"no live call with {route.keys[0]} within the grace period"
            out.append(_dead(held.raw, held.origin, route, "unknown_call", error))
    calls = {
        call: ref
        for call, ref in entry.calls.items()
        if ref.live or ref.since + config.ended_call_retention_s > now
    }
    return _stored(IndexEntry(calls=calls, held=tuple(kept)), out)
