"""Follow-ups: what a call never heard, gathered per window and handed on as one record.

A cause is one undelivered result or event whose source and type the
``followups`` configuration lists. It comes from three places, all on the
partition that owns the call:

* an input that finds its call over (``decide.calls``) — rendered here;
* an injection still waiting in the call's outbox, or a result still waiting
  for its request, when the call ends (``after_end``);
* an injection the injector reports ``call_ended`` or ``expired`` (the
  ``undelivered`` topic) — carrying its rendered message and facts.

Causes of one call are gathered in a ``Draft`` whose window closes
``window_s`` after the hangup (or after its first cause, for a call not
known to have ended, or a straggler past the hangup's window). Membership is
decided by each cause's record time (for an injection the injector reports,
when it was decided), not by when it is processed, so a replay after a crash
gathers the same window; the follow-up's id comes from the
call and the window's first cause. The window closes on a clock tick
(``close_due``), which emits one ``FollowUp`` and forgets the draft; the
causes' digests stay in the call's seen ids so a redelivered one is dropped.

Pure, like the rest of ``streams.decide``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from callstream.config import FollowupRule
from callstream.records import (
    FollowupCause,
    Injection,
    Message,
    SourceEvent,
    SupervisorMessage,
    ToolResult,
)
from callstream.records.followups import UndeliveredReason
from callstream.records.sources import lookup
from streams.decide.followup_record import build
from streams.decide.inputs import SourceIn, SupervisorIn, ToolResultIn
from streams.decide.outputs import Dropped, FollowUp, Output
from streams.decide.rules import Rules
from streams.decide.seen import digest, remember
from streams.errors import RenderError
from streams.state.calls import CallState
from streams.state.evolve import evolve
from streams.state.followup import Draft
from streams.state.held import Held, InputKind
from streams.state.outbox import Queued

_YES = frozenset({"true", "yes", "y", "1"})

_KIND_OF_SOURCE: dict[str, InputKind] = {"tool": "tool_result", "supervisor": "supervisor"}
"""What kind of input an injection's source was (any other source: an enterprise event)."""


# -- facts ------------------------------------------------------------------------------------


def tool_facts(result: ToolResult, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The structured facts behind a tool result's message."""
    facts: dict[str, Any] = {
        "tool": result.tool,
        "request_id": result.request_id,
        "arguments": dict(arguments),
        "status": result.status,
    }
    if result.status == "ok":
        facts["result"] = result.result
    else:
        facts["error"] = result.error
    return facts


def event_facts(event: SourceEvent) -> dict[str, Any]:
    """The structured facts behind an enterprise event's message."""
    return {
        "event_id": event.event_id,
        "type": event.type,
        "customer": {"id": event.customer.id, "phone": event.customer.phone},
        "data": event.data,
    }


def supervisor_facts(note: SupervisorMessage) -> dict[str, Any]:
    return {"message_id": note.message_id, "content": note.content}


def facts_if_followed(
    rules: Rules, source: str, event_type: str, facts: Callable[[], dict[str, Any]]
) -> dict[str, Any] | None:
    """The ``facts()`` of an injection whose cause would be followed up, else ``None``: an
    injection carries them, and pays for building them, only when a follow-up may need
    them."""
    return facts() if rules.followups.rule(source, event_type) is not None else None


# -- causes -----------------------------------------------------------------------------------


def consented(rule: FollowupRule, facts: Mapping[str, Any]) -> bool:
    """Whether the facts say the caller agreed to be texted (the rule's ``consent_field``,
    looked up in the tool's arguments and result, or the event's data)."""
    if rule.consent_field is None:
        return True
    for part in ("arguments", "result", "data"):
        section = facts.get(part)
        if not isinstance(section, Mapping):
            continue
        value = lookup(section, rule.consent_field)
        if value is True or (isinstance(value, str) and value.strip().lower() in _YES):
            return True
    return False


def cause(
    rules: Rules,
    *,
    source: str,
    cause_id: str,
    event_type: str,
    message: Message,
    facts: Mapping[str, Any],
    reason: UndeliveredReason,
    at: float,
) -> FollowupCause | None:
    """The follow-up cause, or ``None`` when the configuration does not follow it up."""
    rule = rules.followups.rule(source, event_type)
    if rule is None:
        return None
    allowed: bool | None = None
    if rule.sms:
        allowed = facts.get("status") != "error" and consented(rule, facts)
    return FollowupCause(
        source=source,
        cause_id=cause_id,
        event_type=event_type,
        reason=reason,
        at=at,
        message=message,
        facts=dict(facts),
        sms_allowed=allowed,
    )


def _when(timestamp: float, now: float) -> float:
    return timestamp if timestamp > 0 else now  # a broker that gave no time: processing time


def from_input(
    state: CallState, item: ToolResultIn | SourceIn | SupervisorIn, rules: Rules, now: float
) -> FollowupCause | None:
    """The cause of an input that found its call over (rendered as it would have been)."""
    when = _when(item.origin.timestamp, now)
    try:
        match item:
            case ToolResultIn(record=result):
                pending = state.pending.get(result.request_id)
                arguments = pending.arguments if pending is not None else {}
                spec = rules.tool(result.tool).message
                rendered = rules.renderer.tool_result(result, spec, arguments, state)
                return cause(
                    rules,
                    source="tool",
                    cause_id=result.request_id,
                    event_type=result.tool,
                    message=rendered.message,
                    facts=tool_facts(result, arguments),
                    reason="call_ended",
                    at=when,
                )
            case SourceIn(record=event):
                rule = rules.source_rule(event.source, event.type)
                known = rules.known_type(event.source, event.type)
                call = item.call_control_id
                rendered = rules.renderer.source_event(event, rule, call, state, known_type=known)
                return cause(
                    rules,
                    source=event.source,
                    cause_id=event.event_id,
                    event_type=event.type,
                    message=rendered.message,
                    facts=event_facts(event),
                    reason="call_ended",
                    at=when,
                )
            case SupervisorIn(record=note):
                return cause(
                    rules,
                    source="supervisor",
                    cause_id=note.message_id,
                    event_type="message",
                    message=rules.renderer.supervisor(note).message,
                    facts=supervisor_facts(note),
                    reason="call_ended",
                    at=when,
                )
    except RenderError:
        return None  # its dead letter says call_ended; a template error is the operator's


def from_injection(
    injection: Injection, reason: UndeliveredReason, rules: Rules, when: float
) -> FollowupCause | None:
    """The cause of an injection the injector could not deliver, or that waited in the outbox."""
    return cause(
        rules,
        source=injection.source,
        cause_id=injection.cause_id,
        event_type=injection.event_type or injection.source,
        message=injection.messages[0],
        facts=injection.facts or {},
        reason=reason,
        at=when,
    )


# -- windows ----------------------------------------------------------------------------------


def take(
    state: CallState | None,
    call: str,
    new: FollowupCause,
    *,
    rules: Rules,
    now: float,
    out: list[Output],
) -> CallState | None:
    """``state`` having gathered ``new`` into its open follow-up (closing one whose window
    ``new`` falls after); a call with no record left gets its follow-up at once."""
    window = rules.followups.window_s
    if state is None or state.status in ("unknown", "gone"):
        alone = Draft(_key(new), new.at, (new,))
        out.append(FollowUp(build(call, state, alone, rules, now)))
        return state
    draft: Draft | None = state.followup
    if draft is not None and new.at > draft.closes_at:
        out.append(FollowUp(build(call, state, draft, rules, now)))
        draft = None
    if draft is None:
        ended = state.ended_at
        closes = (
            ended + window if ended is not None and new.at <= ended + window else new.at + window
        )
        draft = Draft(_key(new), closes, (new,))
    elif draft.holds(new.source, new.cause_id):
        return state
    else:
        draft = Draft(draft.first, draft.closes_at, (*draft.causes, new))
    return evolve(state, followup=draft)


def close_due(
    state: CallState, call: str, rules: Rules, now: float, out: list[Output]
) -> CallState:
    """``state`` with its follow-up emitted if its window has closed by ``now``."""
    draft = state.followup
    if draft is None or draft.closes_at > now:
        return state
    out.append(FollowUp(build(call, state, draft, rules, now)))
    return evolve(state, followup=None)


def after_end(
    before: CallState, after: CallState, call: str, *, rules: Rules, now: float, out: list[Output]
) -> CallState:
    """``after`` (``before`` just ended) with what the hangup left undelivered gathered: the
    injections waiting in the outbox and results waiting for their request; and the pending
    requests of followed-up tools kept, so a result arriving later is rendered with its
    arguments."""
    if before.over or not after.over:
        return after
    kept = {rid: p for rid, p in before.pending.items() if rules.followups.rule("tool", p.tool)}
    state: CallState | None = evolve(after, pending=kept) if kept else after
    waiting_list: list[Queued | Held] = [*before.outbox]
    waiting_list.extend(h for h in before.held if h.waits == "request")
    for waiting in waiting_list:
        found = _waiting_cause(waiting, before, rules, now)
        if found is not None:
            state = take(state, call, found, rules=rules, now=now, out=out)
    assert state is not None  # an ended call keeps its record
    return state


def _waiting_cause(
    waiting: Queued | Held, state: CallState, rules: Rules, now: float
) -> FollowupCause | None:
    when = _when(waiting.origin.timestamp, now)
    if isinstance(waiting, Queued):
        return from_injection(waiting.injection, "call_ended", rules, when)
    try:
        result = ToolResult.model_validate_json(waiting.raw)
    except ValueError:
        return None
    return from_input(state, ToolResultIn(result, waiting.raw, waiting.origin), rules, now)


def next_close(state: CallState) -> float | None:
    """When the call's open follow-up closes (``None`` without one)."""
    return None if state.followup is None else state.followup.closes_at


def _key(new: FollowupCause) -> str:
    return f"{new.source}:{new.cause_id}"


def undelivered(
    state: CallState | None,
    injection: Injection,
    reason: UndeliveredReason,
    *,
    timestamp: float,
    rules: Rules,
    now: float,
) -> tuple[CallState | None, tuple[Output, ...]]:
    """An injection the injector reported undelivered, gathered for its call's follow-up (a
    redelivered report is dropped by its digest)."""
    out: list[Output] = []
    seen_as = digest("und", injection.injection_id)
    if state is not None and state.has_seen(seen_as):
        kind = _KIND_OF_SOURCE.get(injection.source, "source")
        return state, (Dropped("duplicate", kind, injection.call_control_id),)
    found = from_injection(injection, reason, rules, _when(timestamp, now))
    if found is None:
        return state, ()
    call = injection.call_control_id
    new = take(state, call, found, rules=rules, now=now, out=out)
    if new is not None:
        new = evolve(new, seen=remember(new.seen, seen_as, rules.streams.max_seen_ids_per_call))
    return new, tuple(out)
