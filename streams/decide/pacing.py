"""Delivery control per call: a rate limit, coalescing of updates, urgent ones first.

Every injection a decision makes goes through ``offer``; ``drain`` sends what
may go now, on each decision and on each clock tick (``decide.expiry``):

======================  ==========================================================
injection               what happens
======================  ==========================================================
``urgent``              sent at once, whatever the window says (and counted in it),
                        ahead of everything waiting: never coalesced, never held
``low``                 waits ``coalesce_delay_s`` for newer facts, then as normal
``normal``, ``high``    sent at once while the call's window has room; beyond,
                        it waits in the outbox
a waiting update whose  the newer replaces it in place (its place and its due time
source, type and        are kept, so a stream of updates cannot starve it); the
subject come again      older cause ids are listed in ``coalesced``
======================  ==========================================================

The outbox sends by priority (highest first), and in arrival order among
equals. At most ``max_injections`` go out per ``window_s`` (a sliding window
of send times kept in the call's state). Tool results and supervisor messages
have no subject: each answers its own question and is never coalesced.
At most ``MAX_WAITING`` injections wait per call (a flood of distinct
subjects for one call); one more is dead-lettered ``rate_limited`` rather than
held without bound. ``rate: null`` in the config turns all of this off:
everything is sent at once.

Pure: state, the injection and ``step.now`` in; state and outputs out.
"""

from __future__ import annotations

from callstream.config import RateLimit
from streams.decide.outputs import DeadLetterOut, Inject, Output, Refused
from streams.decide.step import Step
from streams.state.calls import CallState
from streams.state.evolve import evolve
from streams.state.outbox import URGENT, Queued

_RENDERING = frozenset({"quoted", "neutralised", "truncated"})
"""Decisions about a message's text (``streams.render``), as opposed to its pacing."""

MAX_WAITING = 100
"""Injections one call may have waiting at once."""


def _with(queued: Queued, decision: str) -> Queued:
    injection = queued.injection
    if decision in injection.guardrails:
        return queued
    guardrails = [*injection.guardrails, decision]
    return evolve(queued, injection=injection.model_copy(update={"guardrails": guardrails}))


def _send(queued: Queued, out: list[Output]) -> None:
    out.append(Inject(queued.injection, queued.origin))


def _window(sent: tuple[float, ...], now: float, window_s: float) -> tuple[float, ...]:
    if sent and sent[0] <= now - window_s:
        return tuple(t for t in sent if t > now - window_s)
    return sent


def offer(state: CallState, queued: Queued, step: Step) -> CallState:
    """Send ``queued`` now, or keep it in the call's outbox (coalescing an older update)."""
    rate = step.rules.guardrails.rate
    if rate is None:
        _send(queued, step.out)
        return state
    now = step.now
    sent = _window(state.sent, now, rate.window_s)
    if queued.rank == URGENT:
        _send(_with(queued, "urgent_first") if state.outbox else queued, step.out)
        return evolve(state, sent=(*sent, now))
    if not state.outbox and queued.due <= now and len(sent) < rate.max_injections:
        _send(queued, step.out)  # the common case: nothing waits, the window has room
        return evolve(state, sent=(*sent, now))
    outbox = state.outbox
    if queued.subject is not None:
        for index, older in enumerate(outbox):
            if older.subject == queued.subject:
                merged = _coalesce(older, queued)
                outbox = (*outbox[:index], merged, *outbox[index + 1 :])
                return drain(evolve(state, outbox=outbox, sent=sent), rate, now, step.out)
    if len(outbox) >= MAX_WAITING:
        error = f"{MAX_WAITING} injections already wait for this call's rate limit"
        call = queued.injection.call_control_id
        step.out.append(DeadLetterOut(queued.raw, queued.origin, "rate_limited", error, call, call))
        step.out.append(Refused(queued.injection.source, "rate_limited"))
        return drain(evolve(state, sent=sent), rate, now, step.out)
    if queued.due > now:
        queued = _with(queued, "coalesce_delay")
    return drain(evolve(state, outbox=(*outbox, queued), sent=sent), rate, now, step.out)


def _coalesce(older: Queued, newer: Queued) -> Queued:
    """``newer`` in ``older``'s place, carrying the causes it replaced."""
    old, new = older.injection, newer.injection
    coalesced = [*old.coalesced, old.cause_id]
    # The message is the newer one's, so what shaped its text is the newer's alone; what
    # the older waited for (its delay, the window) carries over to the slot.
    waited = [d for d in old.guardrails if d not in _RENDERING and d not in new.guardrails]
    guardrails = [*new.guardrails, *waited, *([] if "coalesced" in waited else ["coalesced"])]
    injection = new.model_copy(update={"coalesced": coalesced, "guardrails": guardrails})
    origin = newer.origin.replacing(older.origin)  # its trace links to the older causes
    return Queued(injection, newer.raw, origin, newer.subject, min(older.due, newer.due))


def drain(state: CallState, rate: RateLimit, now: float, out: list[Output]) -> CallState:
    """Send what is due at ``now`` from the outbox, by priority, while the window has room
    (on each decision, and on each clock tick through ``decide.expiry``)."""
    if not state.outbox:
        return state
    sent = _window(state.sent, now, rate.window_s)
    due = sorted((q for q in state.outbox if q.due <= now), key=lambda q: -q.rank)
    room = rate.max_injections - len(sent)
    going = due[: max(0, room)]
    for queued in going:
        _send(queued, out)
        sent = (*sent, now)
    waiting = due[len(going) :]
    outbox = tuple(
        _with(q, "rate_limited") if any(q is w for w in waiting) else q
        for q in state.outbox
        if not any(q is g for g in going)
    )
    return evolve(state, outbox=outbox, sent=sent)


def next_send(state: CallState, rate: RateLimit) -> float | None:
    """When the outbox may next send something (``None``: it is empty)."""
    if not state.outbox:
        return None
    earliest = min(q.due for q in state.outbox)
    if len(state.sent) >= rate.max_injections:
        earliest = max(earliest, state.sent[-rate.max_injections] + rate.window_s)
    return earliest
