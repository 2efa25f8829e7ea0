"""Time-based transitions of a call: grace periods, tool timeouts, idle calls, retention.

Run when a clock tick reaches the partition that owns the call, and only for
calls whose ``next_deadline`` has passed:

* a held input past the grace period is dead-lettered ``unknown_call`` (it
  waited for its call) or ``unknown_request`` (a result that waited for its
  tool request);
* a tool request older than its tool's ``pending_timeout_s`` stops waiting (a
  result arriving later is dead-lettered ``request_timeout``);
* a live call silent for ``max_call_idle_s`` is taken as ended (its hangup was lost);
* an ended call keeps its full record for ``ended_call_retention_s``, then
  shrinks to a tombstone (still dead, still de-duplicating) until
  ``dedupe_ttl_s`` after its end, then is forgotten;
* a call that was never proven and holds nothing any more is forgotten;
* injections waiting in a live call's outbox are sent when their time and the
  call's rate window allow (``decide.pacing``).

Pure, like the rest of ``streams.decide``.
"""

from __future__ import annotations

from streams.correlation.learn import keys_of
from streams.decide import followups, pacing
from streams.decide.calls import Decision
from streams.decide.lifecycle import end
from streams.decide.outputs import DeadLetterOut, Dropped, IndexUpdate, Output
from streams.decide.rules import Rules
from streams.decide.seen import remember
from streams.state.calls import CallState
from streams.state.evolve import evolve


def next_deadline(state: CallState, rules: Rules) -> float:
    """When ``expire`` next has something to do for ``state`` (epoch seconds)."""
    config = rules.streams
    times = [held.arrived + config.grace_period_s for held in state.held]
    if not state.over:  # an ended call's requests wait for nothing but its retention
        times.extend(
            pending.registered + rules.tool(pending.tool).pending_timeout_s
            for pending in state.pending.values()
        )
    rate = rules.guardrails.rate
    if state.outbox and rate is not None:
        send = pacing.next_send(state, rate)
        if send is not None:
            times.append(send)
    closes = followups.next_close(state)
    if closes is not None:
        times.append(closes)
    if state.live:
        times.append(state.last_seen + config.max_call_idle_s)
    elif state.status == "ended":
        times.append((state.ended_at or state.last_seen) + config.ended_call_retention_s)
    elif state.status == "gone":
        times.append((state.ended_at or state.last_seen) + config.dedupe_ttl_s)
    elif not state.held:
        times.append(state.last_seen)  # an unknown call with nothing held: forget it now
    return min(times)


def expire(state: CallState, call: str, rules: Rules, now: float) -> Decision:
    """``state`` with everything due by ``now`` done; ``Decision.state`` ``None`` forgets it."""
    config = rules.streams
    out: list[Output] = []
    kept = []
    seen = state.seen
    for held in state.held:
        if held.arrived + config.grace_period_s > now:
            kept.append(held)
            continue
        seen = remember(seen, held.digest, config.max_seen_ids_per_call)
        waited = "its call to be known" if held.waits == "call" else "its tool request"
        reason = "unknown_call" if held.waits == "call" else "unknown_request"
        error = f"waited {config.grace_period_s:g}s (the grace period) for {waited}"
        out.append(DeadLetterOut(held.raw, held.origin, reason, error, call, key=call))
    pending = {}
    for request_id, request in state.pending.items():
        if request.registered + rules.tool(request.tool).pending_timeout_s > now:
            pending[request_id] = request
        elif not state.over:  # an ended call keeps requests only to render late results
            out.append(Dropped("request_timeout", "tool_call", call))
    new = evolve(state, held=tuple(kept), pending=pending, seen=seen)
    if new.outbox and new.live and rules.guardrails.rate is not None:
        new = pacing.drain(new, rules.guardrails.rate, now, out)
    if new.live and new.last_seen + config.max_call_idle_s <= now:
        ended = end(new, call, "idle", now, out, seen_limit=config.max_seen_ids_per_call)
        new = followups.after_end(new, ended, call, rules=rules, now=now, out=out)
    new = followups.close_due(new, call, rules, now, out)
    ended_at = new.ended_at or new.last_seen
    # An open follow-up keeps the full record until its window closes (the next tick).
    retained = ended_at + config.ended_call_retention_s > now or new.followup is not None
    if new.status == "ended" and not retained:
        out.extend(IndexUpdate(key, call, "remove") for key in keys_of(new))
        new = CallState(
            status="gone",
            first_seen=new.first_seen,
            last_seen=new.last_seen,
            ended_at=new.ended_at,
            end_reason=new.end_reason,
            seen=new.seen,
        )
    if new.status == "gone" and ended_at + config.dedupe_ttl_s <= now:
        return Decision(None, tuple(out))
    if new.status == "unknown" and not new.held:
        return Decision(None, tuple(out))
    return Decision(new, tuple(out))
