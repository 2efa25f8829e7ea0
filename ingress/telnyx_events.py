"""Telnyx call-control webhooks normalised into ``CallEvent`` records (pure).

A webhook is ``{"data": {"id", "event_type", "occurred_at", "payload": {...}}}``
(the field names are those of the official SDK's ``*WebhookEvent`` types). The
payload is kept whole, so nothing Telnyx said is lost; the fields the join
needs (``from``, ``to``, ``direction``, ``client_state``, ``hangup_cause``) are
validated by ``CallEventPayload``. An event that names no call (a messaging or
account event sent to the same URL) is not a call event: it is reported as
``Ignored``, never as an error, because Telnyx would retry an error forever.
This module never does I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from callstream.ids import check_call_control_id
from callstream.records import CallEvent
from ingress.errors import RequestRejected

MAX_EVENT_TYPE_LENGTH = 512  # as every record's identifier fields


@dataclass(frozen=True)
class Ignored:
    """A verified webhook that is acknowledged but not published, and why."""

    reason: str
    event_type: str | None


def body_event_id(body: bytes) -> str:
    """A stable id for a webhook without ``data.id``: the same body always gets the same id."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _schema(detail: str) -> RequestRejected:
    return RequestRejected(400, "schema", detail)


def normalise_call_webhook(
    envelope: Mapping[str, Any], *, body: bytes, received_at: datetime
) -> CallEvent | Ignored:
    """The ``CallEvent`` a call-control webhook stands for, or why it is ``Ignored``.

    ``RequestRejected`` (400) when the envelope is not a Telnyx event at all or
    names a call id that is not a safe one. ``received_at`` stands in for a
    missing ``occurred_at``; the body's digest for a missing event id.
    """
    data = envelope.get("data")
    if not isinstance(data, Mapping):
        raise _schema("data: a Telnyx webhook carries its event in a 'data' object")
    event_type = data.get("event_type")
    if not isinstance(event_type, str) or not 0 < len(event_type) <= MAX_EVENT_TYPE_LENGTH:
        raise _schema(f"data.event_type: not a string of 1-{MAX_EVENT_TYPE_LENGTH} characters")
    payload = data.get("payload")
    if payload is None:
        payload = {}
    if not isinstance(payload, Mapping):
        raise _schema("data.payload: not an object")
    call_control_id = payload.get("call_control_id")
    if call_control_id is None or call_control_id == "":
        return Ignored("no_call_control_id", event_type)
    if not isinstance(call_control_id, str):
        raise _schema("data.payload.call_control_id: not a string")
    try:
        check_call_control_id(call_control_id)
    except ValueError as exc:
        raise RequestRejected(400, "invalid_call_control_id", str(exc)) from exc
    event_id = data.get("id")
    if not isinstance(event_id, str) or not event_id:
        event_id = body_event_id(body)
    try:
        return CallEvent.model_validate(
            {
                "event_id": event_id,
                "event_type": event_type,
                "call_control_id": call_control_id,
                "occurred_at": data.get("occurred_at") or received_at,
                "payload": payload,
            }
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise _schema(f"data.{where}: {first['msg']}") from exc
