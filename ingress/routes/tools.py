"""``POST /tools/{tool_name}``: the target of the assistant's async webhook tools."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import structlog
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from structlog.contextvars import bind_contextvars

from callstream.records import ToolCall, encode
from ingress.bodies import check_content_type, parse_json_object, read_body
from ingress.deps import CallControlIdHeader, IdempotencyKey, ToolCaller
from ingress.identity import tool_request_id
from ingress.openapi import JSON_OBJECT, error_responses, json_body
from ingress.routes import answer

log = structlog.get_logger(__name__)
router = APIRouter(tags=["tools"])


class ToolAccepted(BaseModel):
    """The tool call is durable in Kafka under this request id."""

    status: Literal["accepted"] = "accepted"
    request_id: str


@router.post(
    "/tools/{tool_name}",
    status_code=202,
    response_model=ToolAccepted,
    summary="Accept an async webhook tool call",
    description=(
        "Publishes the call to the tool-calls topic keyed by the call id and answers 202 "
        "only once Kafka acknowledged it. The body is the tool's arguments. "
        "Needs Authorization: Bearer CALLSTREAM_INGRESS_TOKEN when that variable is set."
    ),
    responses=error_responses(400, 401, 404, 413, 415, 503),
    openapi_extra=json_body(JSON_OBJECT, "the tool's arguments, as the assistant sent them"),
)
async def accept_tool_call(
    request: Request,
    target: ToolCaller,
    call_control_id: CallControlIdHeader,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    service, tool = target.service, target.tool
    bind_contextvars(call_control_id=call_control_id)
    check_content_type(request.headers.get("content-type"))
    raw = await read_body(request, service.settings.config.ingress.max_body_bytes)
    arguments = parse_json_object(raw)
    request_id = tool_request_id(call_control_id, tool, idempotency_key)
    bind_contextvars(request_id=request_id)
    record = ToolCall(
        request_id=request_id,
        tool=tool,
        call_control_id=call_control_id,
        arguments=arguments,
        received_at=datetime.fromtimestamp(service.clock(), UTC),
    )
    await service.publish("tool-calls", service.topics.tool_calls, call_control_id, encode(record))
    log.info("tool_call_accepted", tool=tool)
    return answer(ToolAccepted(request_id=request_id), 202)
