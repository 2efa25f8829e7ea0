"""The ``followups`` record of a closed window: its causes, what the registry knew of the call,
and whether (and what) to text the caller.

Pure: ``now`` decides quiet hours; the SMS text comes from ``streams.render.sms``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from callstream.config import QuietHours
from callstream.ids import followup_id
from callstream.records import Followup, FollowupCause
from callstream.records.followups import Sms, SmsSkipped, UndeliveredReason
from streams.decide.injections import at as utc
from streams.decide.rules import Rules
from streams.render.sms import render_sms
from streams.state.calls import CallState
from streams.state.followup import Draft


def build(call: str, state: CallState | None, draft: Draft, rules: Rules, now: float) -> Followup:
    """The ``followups`` record of ``draft``'s causes, with what the registry knew of the call."""
    causes = draft.causes
    reasons: list[UndeliveredReason] = [c.reason for c in causes]
    sms, skipped = _sms(causes, state, rules, now)
    ended = None if state is None or state.ended_at is None else utc(state.ended_at)
    return Followup(
        followup_id=followup_id(call, draft.first),
        call_control_id=call,
        from_=None if state is None else state.from_,
        to=None if state is None else state.to,
        caller=None if state is None else state.phone,
        customer_id=None if state is None or not state.customer_ids else state.customer_ids[0],
        source=causes[0].source,
        cause_ids=[c.cause_id for c in causes],
        sources=[c.source for c in causes],
        event_types=[c.event_type for c in causes],
        reasons=reasons,
        reason="call_ended" if "call_ended" in reasons else "expired",
        messages=[c.message for c in causes],
        facts=[c.facts for c in causes],
        call_ended_at=ended,
        created_at=utc(now),
        sms=sms,
        sms_skipped=skipped,
    )


def _sms(
    causes: Sequence[FollowupCause], state: CallState | None, rules: Rules, now: float
) -> tuple[Sms | None, SmsSkipped | None]:
    config = rules.followups.sms
    texted = [c for c in causes if c.sms_allowed is not None]
    if not config.enabled or config.from_number is None or not texted:
        return None, "disabled"
    allowed = [c for c in texted if c.sms_allowed]
    if not allowed:
        return None, "no_consent"
    if state is None or state.phone is None:
        return None, "no_number"
    if config.quiet_hours is not None and quiet(config.quiet_hours, now):
        return None, "quiet_hours"
    text = render_sms(allowed, config)
    return Sms(from_=config.from_number, to=state.phone, text=text), None


def quiet(hours: QuietHours, now: float) -> bool:
    """Whether ``now`` falls in the daily quiet window (which may span midnight)."""
    local = datetime.fromtimestamp(now, ZoneInfo(hours.timezone)).time()
    if hours.start <= hours.end:
        return hours.start <= local < hours.end
    return local >= hours.start or local < hours.end
