"""``POST /calls/{call_control_id}/messages``: guidance a person posts for one live call."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, Self

import structlog
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from structlog.contextvars import bind_contextvars

from callstream.records import Role, SupervisorMessage, encode
from callstream.records.messages import check_tool_call_id
from callstream.records.supervisor import MAX_CONTENT_CHARS
from ingress.bodies import check_content_type, parse_json_object, read_body
from ingress.deps import CallControlIdPath, IdempotencyKey, SupervisorCaller
from ingress.errors import RequestRejected
from ingress.identity import supervisor_message_id
from ingress.openapi import error_responses, json_body
from ingress.routes import answer

log = structlog.get_logger(__name__)
router = APIRouter(tags=["supervisor"])


class SupervisorRequest(BaseModel):
    """What a supervisor posts."""

    model_config = ConfigDict(
        extra="forbid",
        # The cross-field rule below, in the OpenAPI document too: tool_call_id with role
        # tool, and only then.
        json_schema_extra={
            "if": {"properties": {"role": {"const": "tool"}}, "required": ["role"]},
            "then": {
                "required": ["tool_call_id"],
                "properties": {"tool_call_id": {"type": "string"}},
            },
            "else": {"properties": {"tool_call_id": {"type": "null"}}},
        },
    )

    content: str = Field(min_length=1, max_length=MAX_CONTENT_CHARS)
    role: Role = Field(
        default="system",
        description="the roles the supervisor token may use are guardrails.roles.supervisor; "
        "any other is a 403",
    )
    tool_call_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        description="the tool call a role 'tool' message answers (required for that role)",
    )
    trigger_response: bool = Field(
        default=False,
        description="true makes the assistant speak at once (may interrupt), if "
        "guardrails.supervisor_speak allows 'now'",
    )

    @model_validator(mode="after")
    def _tool_messages_name_their_call(self) -> Self:
        check_tool_call_id(self.role, self.tool_call_id)
        return self


class MessageAccepted(BaseModel):
    """The message is durable on the supervisor topic under this id."""

    status: Literal["accepted"] = "accepted"
    message_id: str


def _schema_error(exc: ValidationError) -> RequestRejected:
    parts = []
    for err in exc.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(loc) for loc in err["loc"]) or "(body)"
        parts.append(f"{where}: {err['msg']}")
    return RequestRejected(400, "schema", "; ".join(parts))


@router.post(
    # ":path" lets a call id holding '/' reach the handler, which refuses it with a 400.
    "/calls/{call_control_id:path}/messages",
    status_code=202,
    response_model=MessageAccepted,
    summary="Post a supervisor message into a live call",
    description=(
        "Publishes a supervisor message to the supervisor topic keyed by the call id; 202 once "
        "Kafka acknowledged it. Needs Authorization: Bearer CALLSTREAM_INGRESS_TOKEN."
    ),
    responses=error_responses(400, 401, 403, 404, 413, 415, 503),
    openapi_extra=json_body(SupervisorRequest.model_json_schema(), "the message"),
)
async def post_supervisor_message(
    request: Request,
    service: SupervisorCaller,
    call_control_id: CallControlIdPath,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    bind_contextvars(call_control_id=call_control_id)
    check_content_type(request.headers.get("content-type"))
    raw = await read_body(request, service.settings.config.ingress.max_body_bytes)
    try:
        posted = SupervisorRequest.model_validate(parse_json_object(raw))
    except ValidationError as exc:
        raise _schema_error(exc) from exc
    refused = service.settings.config.guardrails.supervisor_refusal(
        posted.role, posted.trigger_response
    )
    if refused is not None:
        log.info("supervisor_message_refused", detail=refused)
        raise RequestRejected(403, "forbidden", refused)
    message_id = supervisor_message_id(call_control_id, idempotency_key)
    record = SupervisorMessage(
        message_id=message_id,
        call_control_id=call_control_id,
        content=posted.content,
        role=posted.role,
        tool_call_id=posted.tool_call_id,
        trigger_response=posted.trigger_response,
        created_at=datetime.fromtimestamp(service.clock(), UTC),
    )
    await service.publish("supervisor", service.topics.supervisor, call_control_id, encode(record))
    log.info("supervisor_message_accepted", message_id=message_id)
    return answer(MessageAccepted(message_id=message_id), 202)
