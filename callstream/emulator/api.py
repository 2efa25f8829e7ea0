"""The emulated remote: ``POST {base}/calls/{call_control_id}/actions/ai_assistant_add_messages``.

Checks in the order the real API does: the bearer key (401), the body (422),
then the call (404 never seen, 422 ``90018`` ended, 200 accepted — a repeated
``command_id`` within the window is answered 200 and not applied). Fault rules
act after the body is validated, so a test can make a well-formed request
fail, hang or be applied with its reply lost.

It must never accept a message for a call that is not live, and never apply
a command twice within the dedupe window.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
from collections import Counter
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from callstream.emulator import replies
from callstream.emulator.calls import AddMessages, CallBook
from callstream.emulator.faults import FaultDecision, FaultPlan
from callstream.emulator.peer import IngressPeer, PeerClient

ADD_MESSAGES_PATH = "/calls/{call_control_id}/actions/ai_assistant_add_messages"


class MessageIn(BaseModel):
    """One message; extra fields the SDK may send (``metadata``, ``tool_call_id``) are allowed."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str


class AddMessagesIn(BaseModel):
    """The request body, as the SDK's ``ActionAddAIAssistantMessagesParams`` names its fields."""

    model_config = ConfigDict(extra="forbid")

    messages: list[MessageIn] = Field(min_length=1)
    command_id: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None
    trigger_response: bool = False
    client_state: str | None = None

    @field_validator("client_state")
    @classmethod
    def _base64(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                base64.b64decode(value, validate=True)
            except binascii.Error as exc:
                raise ValueError("must be a valid Base-64 encoded string") from exc
        return value


@dataclass
class EmulatorState:
    """Everything the routes share: the key, the calls, the faults, and request counters."""

    api_key: str
    book: CallBook
    faults: FaultPlan
    stats: Counter[str] = field(default_factory=Counter)
    peer: IngressPeer | None = None
    """Where lifecycle webhooks and the assistant's tool calls go; None sends nothing."""
    _peer_client: PeerClient | None = field(default=None, repr=False)

    async def close(self) -> None:
        """Close the connections to the ingress (at shutdown)."""
        if self._peer_client is not None:
            await self._peer_client.aclose()
            self._peer_client = None

    def peer_client(self) -> PeerClient | None:
        """The client for ``peer``, made on first use inside the serving event loop."""
        if self.peer is not None and self._peer_client is None:
            self._peer_client = PeerClient(self.peer)
        return self._peer_client


def _authorized(request: Request, api_key: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.strip().encode(), api_key.encode())


def _validation_reply(exc: ValidationError) -> JSONResponse:
    first = exc.errors(include_url=False, include_input=False)[0]
    pointer = "/" + "/".join(str(part) for part in first["loc"])
    return replies.error_response(422, replies.BAD_REQUEST, first["msg"], pointer=pointer)


async def add_messages(request: Request) -> Response:
    """The add-messages action."""
    state: EmulatorState = request.app.state.emulator
    call_control_id: str = request.path_params["call_control_id"]
    state.stats["requests"] += 1
    decision = state.faults.decide(call_control_id)
    if decision.delay_s > 0:
        await asyncio.sleep(decision.delay_s)
    if not _authorized(request, state.api_key):
        state.stats["unauthorized"] += 1
        return replies.error_response(
            401,
            replies.AUTHENTICATION_FAILED,
            "The required authentication headers were either invalid or not included.",
        )
    body = await request.body()
    try:
        parsed = AddMessagesIn.model_validate_json(body)
    except ValidationError as exc:
        state.stats["invalid"] += 1
        return _validation_reply(exc)
    command = AddMessages(
        messages=[m.model_dump() for m in parsed.messages],
        command_id=parsed.command_id,
        trigger_response=parsed.trigger_response,
        client_state=parsed.client_state,
    )
    if decision.faulted:
        return await _fault(state, call_control_id, command, decision)
    return _answer(state, call_control_id, command)


def _answer(
    state: EmulatorState,
    call_control_id: str,
    command: AddMessages,
    *,
    fault_status: int | None = None,
) -> Response:
    verdict = state.book.verdict(call_control_id, command.command_id)
    status = {"unknown_call": 404, "call_ended": 422}.get(verdict, 200)
    state.book.add(call_control_id, command, status=fault_status or status)
    state.stats[verdict] += 1
    if verdict == "unknown_call":
        return replies.error_response(
            404, replies.NOT_FOUND, f"Call {call_control_id!r} could not be found."
        )
    if verdict == "call_ended":
        return replies.error_response(
            422, replies.CALL_ENDED, "This call is no longer active and can't receive commands."
        )
    return JSONResponse(replies.ACCEPTED)


async def _fault(
    state: EmulatorState, call_control_id: str, command: AddMessages, decision: FaultDecision
) -> Response:
    status = 504 if decision.hang_s is not None else decision.status
    assert status is not None  # a faulted decision carries a status or a hang
    state.stats["fault"] += 1
    if decision.apply_first:
        _answer(state, call_control_id, command, fault_status=status)
    else:
        state.book.record_fault(call_control_id, command.command_id, status)
    if decision.hang_s is not None:
        await asyncio.sleep(decision.hang_s)
    return replies.fault_response(status, decision.retry_after)
