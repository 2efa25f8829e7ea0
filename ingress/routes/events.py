"""``POST /events/{source}``: CRM, fraud and ticketing events from systems that speak HTTP.

The body is published unchanged, in the enterprise's own schema, to the
source's topic; it is parsed only to check that the streams could route it
(the source's field map finds an event id, a type and a call id or
correlation key) and to choose the record key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import structlog
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from structlog.contextvars import bind_contextvars

from callstream.errors import RecordError
from callstream.records import source_event_from_raw
from callstream.records.sources import JSON_VALUE_HEADER
from ingress.bodies import check_content_type, parse_json_object, read_body
from ingress.deps import SourceCaller
from ingress.errors import RequestRejected
from ingress.openapi import JSON_OBJECT, error_responses, json_body
from ingress.routes import answer

log = structlog.get_logger(__name__)
router = APIRouter(tags=["events"])


class EventAccepted(BaseModel):
    """The event is durable on its source's topic."""

    status: Literal["accepted"] = "accepted"
    event_id: str


@router.post(
    "/events/{source}",
    status_code=202,
    response_model=EventAccepted,
    summary="Accept an event from an enterprise system",
    description=(
        "Publishes the body unchanged to the source's topic, keyed by the call id it carries, "
        "else by its correlation key (customer phone, then customer id); 202 once Kafka "
        "acknowledged it. Needs the source's bearer token. Field positions come from the "
        "source's 'fields' map in the YAML config."
    ),
    responses=error_responses(400, 401, 404, 413, 415, 503),
    openapi_extra=json_body(JSON_OBJECT, "the event, in the source's own schema"),
)
async def accept_source_event(request: Request, target: SourceCaller) -> Response:
    service, source, spec = target.service, target.source, target.spec
    check_content_type(request.headers.get("content-type"))
    raw = await read_body(request, service.settings.config.ingress.max_body_bytes)
    fields = parse_json_object(raw)
    received_at = datetime.fromtimestamp(service.clock(), UTC)
    try:
        event = source_event_from_raw(source, fields, spec.fields, fallback_time=received_at)
    except RecordError as exc:
        raise RequestRejected(400, "schema", exc.detail) from exc
    if event.call_control_id is not None:  # otherwise the streams worker finds the call
        bind_contextvars(call_control_id=event.call_control_id)
    key = event.call_control_id or event.customer.phone or event.customer.id
    assert key is not None  # SourceEvent refuses an event with none of the three
    # Marked JSON: on a topic whose producers write Avro or Protobuf, the worker reads it as sent.
    topic = service.topics.source(source)
    await service.publish(f"source:{source}", topic, key, raw, [JSON_VALUE_HEADER])
    log.info(
        "source_event_accepted",
        source=source,
        event_id=event.event_id,
        event_type=event.type,
    )
    return answer(EventAccepted(event_id=event.event_id), 202)
