"""Building ``Injection`` records: deterministic ids, timestamps, expiry.

The id is ``callstream.ids.injection_id(source, cause)``, so the same cause
always yields the same id, whichever worker renders it and however often:

=============  ==========  ===========================================
input          source      cause
=============  ==========  ===========================================
tool result    ``tool``    the request id
supervisor     ``supervisor``  the message id
source event   its name    ``{event_id}@{call_control_id}`` (one event
                           may reach several calls through correlation)
=============  ==========  ===========================================
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from callstream.ids import injection_id
from callstream.records import Injection, Priority
from streams.render.messages import Rendered


def at(seconds: float) -> datetime:
    """An epoch time in seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, UTC)


def build(
    *,
    source: str,
    cause_key: str,
    cause_id: str,
    call_control_id: str,
    rendered: Rendered,
    trigger_response: bool,
    cause_at: datetime,
    now: float,
    ttl_s: float,
    priority: Priority = "normal",
    event_type: str | None = None,
    facts: dict[str, Any] | None = None,
) -> Injection:
    """The injection of ``rendered`` into ``call_control_id``, caused by ``cause_key``; the
    guardrails that shaped the message are on the record, with its uncut text if it was cut."""
    created = at(now)
    return Injection(
        injection_id=injection_id(source, cause_key),
        call_control_id=call_control_id,
        messages=[rendered.message],
        guardrails=list(rendered.decisions),
        full_messages=None if rendered.full is None else [rendered.full],
        trigger_response=trigger_response,
        source=source,
        cause_id=cause_id,
        created_at=created,
        expires_at=created + timedelta(seconds=ttl_s),
        cause_at=cause_at,
        priority=priority,
        event_type=event_type,
        facts=facts,
    )
