"""Tool result ⋈ pending tool request, by (call id, request id), in either order of arrival.

* A tool call registers its request as pending on its call (and proves the
  call live); if its tool has an HTTP backend the tool runner is asked to call it.
* A result whose request is pending is rendered and injected; the request is done.
* A result whose request is not known yet is held for the grace period and
  joined the moment the request arrives (the runner is then not asked: the
  answer is already here).
* A result for a request that stopped waiting (``pending_timeout_s``) is
  dead-lettered ``request_timeout``; one naming another tool than its request,
  ``tool_mismatch``.
"""

from __future__ import annotations

from streams.correlation.learn import learn
from streams.decide import followups, injections, pacing
from streams.decide.inputs import ToolCallIn, ToolResultIn
from streams.decide.lifecycle import go_live, new_call
from streams.decide.outputs import Dropped, RunTool
from streams.decide.seen import digest
from streams.decide.step import Step, dead_letter, flush, hold, remembered, revive
from streams.errors import RenderError
from streams.state.calls import CallState, Pending
from streams.state.evolve import evolve
from streams.state.outbox import Queued


def _plain_id(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


def tool_call(state: CallState | None, item: ToolCallIn, seen_as: str, step: Step) -> CallState:
    """Register a tool request on its call; join a result that came first."""
    request, call = item.record, item.call_control_id
    base = state or new_call(step.now)
    was_unknown = base.status == "unknown"
    new = evolve(base, last_seen=step.now)
    new = learn(
        new,
        call,
        step.out,
        region=step.rules.streams.default_region,
        customer_id=_plain_id(request.arguments.get("customer_id")),
    )
    new = go_live(new, "active", call, step.out)  # the assistant is talking: the call is up
    if was_unknown:
        new = flush(new, call, step)  # what arrived earlier goes first
    new = remembered(new, seen_as, step)
    pending = Pending(request.tool, request.arguments, step.now)
    new = evolve(new, pending={**new.pending, request.request_id: pending})
    answer = digest("res", request.request_id)
    answers = [held for held in new.held if held.waits == "request" and held.digest == answer]
    if not answers:
        if step.rules.tool(request.tool).backend is not None:
            step.out.append(RunTool(call, request.request_id, item.raw, item.origin))
        return new
    new = evolve(new, held=tuple(h for h in new.held if h not in answers))
    for held in answers:
        new = revive(new, held, call, step)
    return new


def tool_result(
    state: CallState | None, item: ToolResultIn, seen_as: str, step: Step, arrived: float | None
) -> CallState:
    """Join a result with its pending request and inject it, or hold it for the request."""
    if state is None or state.status == "unknown":
        return hold(state, item, seen_as, step, waits="call", arrived=arrived)
    result, rules = item.record, step.rules
    pending = state.pending.get(result.request_id)
    if pending is None:
        if not state.has_seen(digest("req", result.request_id)):
            return hold(state, item, seen_as, step, waits="request", arrived=arrived)
        timeout = rules.tool(result.tool).pending_timeout_s
        error = f"request {result.request_id} stopped waiting for its result after {timeout:g}s"
        step.out.append(dead_letter(item, "request_timeout", error))
        return remembered(state, seen_as, step)
    if result.tool != pending.tool:
        error = f"the result names tool {result.tool!r}; its request was for {pending.tool!r}"
        step.out.append(dead_letter(item, "tool_mismatch", error))
        return state
    remaining = {rid: p for rid, p in state.pending.items() if rid != result.request_id}
    state = evolve(state, last_seen=step.now, pending=remaining)
    state = remembered(state, seen_as, step)
    return _inject(state, item, pending, step)


def _inject(state: CallState, item: ToolResultIn, pending: Pending, step: Step) -> CallState:
    result, rules = item.record, step.rules
    spec = rules.tool(pending.tool).message
    if not spec.inject:
        step.out.append(Dropped("not_injected", item.kind, item.call_control_id))
        return state
    try:
        rendered = rules.renderer.tool_result(result, spec, pending.arguments, state)
    except RenderError as exc:
        step.out.append(dead_letter(item, "template_error", str(exc)))
        return state
    injection = injections.build(
        source="tool",
        cause_key=result.request_id,
        cause_id=result.request_id,
        call_control_id=item.call_control_id,
        rendered=rendered,
        trigger_response=spec.speaks_now(default=True),
        cause_at=result.completed_at,
        now=step.now,
        ttl_s=rules.streams.injection_ttl_s,
        priority=spec.priority,
        event_type=result.tool,
        facts=followups.facts_if_followed(
            rules, "tool", result.tool, lambda: followups.tool_facts(result, pending.arguments)
        ),
    )
    # Each result answers its own request: no subject, never coalesced.
    return pacing.offer(state, Queued(injection, item.raw, item.origin, None, step.now), step)
