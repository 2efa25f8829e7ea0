"""Supervisor messages and enterprise source events for a call: held, injected, or dropped.

A supervisor's message is injected as written, with the role and
``trigger_response`` the supervisor chose, if the guardrails' policy allows
them (``guardrails.roles.supervisor``, ``supervisor_speak``): the ingress
refuses the rest with a 403, and a record that reaches the topic some other
way is dead-lettered ``role_refused``. (A ``tool`` message without its
``tool_call_id`` is not a valid record at all.) A source event is injected with the rule its source
configures for its type (``inject: false`` drops it, counted): its data
quoted, its role the rule's, never the event's; whatever customer id (or
phone) it carries is learnt by the call, so later events keyed by that id
find it. Both go out through the call's pacing (``decide.pacing``).
"""

from __future__ import annotations

from callstream.config import MessageSpec
from callstream.records import SourceEvent
from callstream.records.sources import lookup
from streams.correlation.learn import learn
from streams.decide import followups, injections, pacing
from streams.decide.inputs import SourceIn, SupervisorIn
from streams.decide.outputs import Dropped, Refused
from streams.decide.step import Step, dead_letter, hold, remembered
from streams.errors import RenderError
from streams.state.calls import CallState
from streams.state.evolve import evolve
from streams.state.outbox import Queued


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
    refused = step.rules.guardrails.supervisor_refusal(note.role, note.trigger_response)
    if refused is not None:
        step.out.append(dead_letter(item, "role_refused", refused))
        step.out.append(Refused("supervisor", "role_refused"))
        return state
    injection = injections.build(
        source="supervisor",
        cause_key=note.message_id,
        cause_id=note.message_id,
        call_control_id=item.call_control_id,
        rendered=step.rules.renderer.supervisor(note),
        trigger_response=note.trigger_response,
        cause_at=note.created_at,
        now=step.now,
        ttl_s=step.rules.streams.injection_ttl_s,
        event_type="message",
        facts=followups.facts_if_followed(
            step.rules, "supervisor", "message", lambda: followups.supervisor_facts(note)
        ),
    )
    return pacing.offer(state, Queued(injection, item.raw, item.origin, None, step.now), step)


def subject(event: SourceEvent, rule: MessageSpec) -> str:
    """What an event is about, for coalescing: its source and type, its customer, and the
    values at the rule's ``coalesce_by`` paths in its data."""
    parts = [event.source, event.type, event.customer.id or event.customer.phone or ""]
    parts.extend(str(lookup(event.data, path)) for path in rule.coalesce_by)
    return "\x00".join(parts)


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
    known = rules.known_type(event.source, event.type)
    try:
        rendered = rules.renderer.source_event(event, rule, call, state, known_type=known)
    except RenderError as exc:
        step.out.append(dead_letter(item, "template_error", str(exc)))
        return state
    urgent = rule.priority == "urgent"
    injection = injections.build(
        source=event.source,
        cause_key=f"{event.event_id}@{call}",
        cause_id=event.event_id,
        call_control_id=call,
        rendered=rendered,
        trigger_response=rule.speaks_now(default=urgent),
        cause_at=event.occurred_at,
        now=step.now,
        ttl_s=rules.streams.injection_ttl_s,
        priority=rule.priority,
        event_type=event.type,
        facts=followups.facts_if_followed(
            rules, event.source, event.type, lambda: followups.event_facts(event)
        ),
    )
    rate = rules.guardrails.rate
    due = step.now + (rate.coalesce_delay_s if rate and rule.priority == "low" else 0.0)
    queued = Queued(injection, item.raw, item.origin, None if urgent else subject(event, rule), due)
    return pacing.offer(state, queued, step)
