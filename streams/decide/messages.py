"""Supervisor messages and enterprise source events for a call: held, injected, or dropped.

A supervisor's message is injected as written, with the role and
``trigger_response`` the supervisor chose. A source event is injected with
the rule its source configures for its type (``inject: false`` drops it,
counted); whatever customer id (or phone) it carries is learnt by the call, so
later events keyed by that id find it.
"""

from __future__ import annotations

from streams.correlation.learn import learn
from streams.decide import injections
from streams.decide.inputs import SourceIn, SupervisorIn
from streams.decide.outputs import Dropped, Inject
from streams.decide.step import Step, dead_letter, hold, remembered
from streams.errors import RenderError
from streams.state.calls import CallState
from streams.state.evolve import evolve


def message(
    state: CallState | None,
    item: SupervisorIn | SourceIn,
    seen_as: str,
    step: Step,
    arrived: float | None,
) -> CallState:
    """Inject ``item`` into its live call, or hold it until the call is known."""
    if state is None or state.status == "unknown":
        return hold(state, item, seen_as, step, waits="call", arrived=arrived)
    state = remembered(evolve(state, last_seen=step.now), seen_as, step)
    if isinstance(item, SupervisorIn):
        return _supervisor(state, item, step)
    return _source(state, item, step)


def _supervisor(state: CallState, item: SupervisorIn, step: Step) -> CallState:
    note = item.record
    injection = injections.build(
        source="supervisor",
        cause_key=note.message_id,
        cause_id=note.message_id,
        call_control_id=item.call_control_id,
        message=step.rules.renderer.supervisor(note),
        trigger_response=note.trigger_response,
        cause_at=note.created_at,
        now=step.now,
        ttl_s=step.rules.streams.injection_ttl_s,
    )
    step.out.append(Inject(injection, item.origin))
    return state


def _source(state: CallState, item: SourceIn, step: Step) -> CallState:
    event, call, rules = item.record, item.call_control_id, step.rules
    state = learn(
        state,
        call,
        step.out,
        region=rules.streams.default_region,
        phone=event.customer.phone,
        customer_id=event.customer.id,
    )
    rule = rules.source_rule(event.source, event.type)
    if not rule.inject:
        step.out.append(Dropped("not_injected", item.kind, call))
        return state
    try:
        message = rules.renderer.source_event(event, rule, call, state)
    except RenderError as exc:
        step.out.append(dead_letter(item, "template_error", str(exc)))
        return state
    injection = injections.build(
        source=event.source,
        cause_key=f"{event.event_id}@{call}",
        cause_id=event.event_id,
        call_control_id=call,
        message=message,
        trigger_response=rule.trigger_response,
        cause_at=event.occurred_at,
        now=step.now,
        ttl_s=rules.streams.injection_ttl_s,
        priority=rule.priority,
    )
    step.out.append(Inject(injection, item.origin))
    return state
