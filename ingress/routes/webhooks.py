"""``POST /webhooks/telnyx``: signed call-control webhooks, normalised into call events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel
from structlog.contextvars import bind_contextvars

from callstream.records import encode
from ingress.bodies import check_content_type, parse_json_object, read_body
from ingress.deps import Service
from ingress.errors import RequestRejected, WebhookSignatureError
from ingress.openapi import TELNYX_WEBHOOK, error_responses, json_body
from ingress.routes import answer
from ingress.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER
from ingress.telnyx_events import Ignored, normalise_call_webhook

log = structlog.get_logger(__name__)
router = APIRouter(tags=["webhooks"])


class WebhookAnswer(BaseModel):
    """The webhook is durable in Kafka (``accepted``), or verified and deliberately not kept."""

    status: Literal["accepted", "ignored"]
    event_id: str | None = None
    reason: str | None = None


@router.post(
    "/webhooks/telnyx",
    status_code=200,
    response_model=WebhookAnswer,
    summary="Accept a Telnyx call-control webhook",
    description=(
        "Verifies the ED25519 signature over '{telnyx-timestamp}|{raw body}' with "
        "TELNYX_PUBLIC_KEY (timestamp within ingress.signature_tolerance_s), normalises the "
        "event and publishes it to the call-events topic keyed by the call id; 200 once Kafka "
        "acknowledged it. An event that names no call is answered 200 'ignored' and not kept, "
        "so Telnyx does not retry it."
    ),
    responses=error_responses(400, 401, 413, 415, 503),
    openapi_extra=json_body(TELNYX_WEBHOOK, "a Telnyx webhook event, signed"),
)
async def receive_telnyx_webhook(
    request: Request,
    service: Service,
    signature: Annotated[
        str | None, Header(alias=SIGNATURE_HEADER, description="base64 ED25519 signature")
    ] = None,
    timestamp: Annotated[
        str | None, Header(alias=TIMESTAMP_HEADER, description="unix seconds it was signed at")
    ] = None,
) -> Response:
    ingress = service.settings.config.ingress
    body = await read_body(request, ingress.max_webhook_body_bytes)
    if ingress.verify_signatures:
        if service.verifier is None:
            raise RequestRejected(
                401, "unauthorized", "no TELNYX_PUBLIC_KEY is configured: webhooks are refused"
            )
        try:
            service.verifier.verify(
                body, signature=signature, timestamp=timestamp, now=service.clock()
            )
        except WebhookSignatureError as exc:
            log.warning("webhook_signature_rejected", reason=str(exc))
            raise RequestRejected(401, "invalid_signature", str(exc)) from exc
    check_content_type(request.headers.get("content-type"))
    envelope = parse_json_object(body)
    received_at = datetime.fromtimestamp(service.clock(), UTC)
    outcome = normalise_call_webhook(envelope, body=body, received_at=received_at)
    if isinstance(outcome, Ignored):
        service.metrics.webhooks_ignored.labels(outcome.reason).inc()
        log.info("webhook_ignored", reason=outcome.reason, event_type=outcome.event_type)
        return answer(WebhookAnswer(status="ignored", reason=outcome.reason), 200)
    bind_contextvars(call_control_id=outcome.call_control_id)
    await service.publish(
        "call-events", service.topics.call_events, outcome.call_control_id, encode(outcome)
    )
    log.info(
        "call_event_accepted",
        event_id=outcome.event_id,
        event_type=outcome.event_type,
    )
    return answer(WebhookAnswer(status="accepted", event_id=outcome.event_id), 200)
