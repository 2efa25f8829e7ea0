"""Events from enterprise systems (CRM, fraud monitoring, ticketing).

Each source keeps its own schema; a ``FieldMap`` from the config says where
the fields callstream needs sit in it (dotted paths such as
``customer.phone``). ``SourceEvent`` is the canonical form the streams work
on: the mapping is a pure function, shared by the ingress (which refuses
events it could never route) and the streams (which route them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from callstream.errors import RecordError
from callstream.ids import CallControlId, NonEmptyStr
from callstream.records.base import MAX_RECORD_BYTES, Record, record_error


class CustomerRef(Record):
    """The correlation keys a source event may carry instead of a call id."""

    phone: str | None = None
    id: str | None = None


class SourceEvent(Record):
    """A source event in canonical form: routed by call id, else by a correlation key."""

    source: NonEmptyStr
    event_id: NonEmptyStr
    type: NonEmptyStr
    occurred_at: AwareDatetime
    data: dict[str, Any] = Field(default_factory=dict)
    call_control_id: CallControlId | None = None
    customer: CustomerRef = CustomerRef()

    @model_validator(mode="after")
    def _routable(self) -> Self:
        if self.call_control_id is None and not (self.customer.phone or self.customer.id):
            raise ValueError(
                "the event carries neither a call_control_id nor a correlation key "
                "(customer phone or customer id)"
            )
        return self


class FieldMap(BaseModel):
    """Where each field callstream needs sits in a source's own records (dotted paths)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = "event_id"
    type: str = "type"
    occurred_at: str = "occurred_at"
    data: str | None = Field(
        default="data", description="path of the event's facts; null means the whole record"
    )
    call_control_id: str = "call_control_id"
    phone: str = "customer.phone"
    customer_id: str = "customer.id"


JSON_VALUE_HEADER: tuple[str, bytes] = ("content-type", b"application/json")
"""Marks a source record whose value is JSON whatever its source's format: the ingress sets
it on what ``POST /events/{source}`` publishes, the streams worker on dead letters whose
value it had already decoded, so ``dlq replay`` re-drives them as JSON."""


def json_marked(headers: Sequence[tuple[str, str | bytes | None]] | None) -> bool:
    """Whether ``headers`` mark the value as JSON (``JSON_VALUE_HEADER``)."""
    name, value = JSON_VALUE_HEADER
    return any(
        key.lower() == name and (found.encode() if isinstance(found, str) else found) == value
        for key, found in headers or ()
    )


_MISSING = object()
_JSON_OBJECT: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


def lookup(record: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path`` in ``record``, or ``None`` when any step is absent."""
    node: Any = record
    for step in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(step, _MISSING)
        if node is _MISSING:
            return None
    return node


def _as_id(value: Any) -> str | None:
    # Producers write ids as numbers as often as strings; both are fine.
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | str):
        text = str(value).strip()
        return text or None
    return None


def source_event_from_raw(
    source: str,
    raw: Mapping[str, Any],
    fields: FieldMap,
    *,
    fallback_time: datetime | None = None,
) -> SourceEvent:
    """Map a source's own record onto ``SourceEvent``; ``RecordError`` if it cannot be routed.

    ``fallback_time`` (the Kafka record's timestamp, say) stands in when the
    record has no occurred-at field.
    """
    data = raw if fields.data is None else lookup(raw, fields.data)
    candidate = {
        "source": source,
        "event_id": _as_id(lookup(raw, fields.event_id)),
        "type": lookup(raw, fields.type),
        "occurred_at": lookup(raw, fields.occurred_at) or fallback_time,
        "data": {} if data is None else data,
        "call_control_id": lookup(raw, fields.call_control_id),
        "customer": {
            "phone": _as_id(lookup(raw, fields.phone)),
            "id": _as_id(lookup(raw, fields.customer_id)),
        },
    }
    try:
        return SourceEvent.model_validate(candidate)
    except ValidationError as exc:
        raise record_error(f"{source} event", exc) from exc


def connect_payload(obj: dict[str, Any]) -> Any:
    """The record inside Kafka Connect's JSON envelope (``{"schema": ..., "payload": ...}``).

    Connect's ``JsonConverter`` with ``schemas.enable=true`` wraps every value so;
    anything else is returned as it is.
    """
    if obj.keys() == {"schema", "payload"} and isinstance(obj["schema"], dict | None):
        return obj["payload"]
    return obj


def decode_source_event(
    source: str,
    raw: bytes | None,
    fields: FieldMap,
    *,
    fallback_time: datetime | None = None,
) -> SourceEvent:
    """Parse a source topic's JSON record (or Connect envelope) into a ``SourceEvent``.

    ``RecordError`` if it is not one.
    """
    if raw is None:
        raise RecordError("schema", f"{source} event: record has no value")
    if len(raw) > MAX_RECORD_BYTES:
        raise RecordError("too_large", f"{source} event: {len(raw)} bytes exceeds limit")
    try:
        obj = _JSON_OBJECT.validate_json(raw)
        payload = connect_payload(obj)
        if payload is not obj:  # a Connect envelope: its payload is checked in turn
            obj = _JSON_OBJECT.validate_python(payload)
    except ValidationError as exc:
        raise record_error(f"{source} event", exc) from exc
    return source_event_from_raw(source, obj, fields, fallback_time=fallback_time)
