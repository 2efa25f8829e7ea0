"""The emulated remote: ``POST {base}/calls/{call_control_id}/actions/ai_assistant_add_messages``.

Checks in the order the real API does: the path, the bearer key (401), the
body (422), then the call (404 never seen, 422 ``90018`` ended, 200 accepted —
a repeated ``command_id`` within the window is answered 200 and not applied).
Fault rules act after the body is validated, so a test can make a well-formed
request fail, hang or be applied with its reply lost.

The call id is read from the raw path (``scope["raw_path"]``), not from the
path the ASGI server decoded: a remote, gateway or proxy that routes on the
raw bytes sees ``v3%3Aabc`` and ``v3:abc`` as two calls. A segment the
official SDK would never send for any id (``callstream.pathsegment``) is
refused with 400 and the emulator's own code ``PATH_SEGMENT``, counted, and
noted in the transcript of the call its decoded form names, so a client that
encodes ids differently from the SDK fails every test that uses the emulator
instead of passing here and losing every message in production.

It must never accept a message for a call that is not live, and never apply
a command twice within the dedupe window.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
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

from callstream.pathsegment import decode_segment
from devkit.emulator import replies
from devkit.emulator.calls import AddMessages, CallBook
from devkit.emulator.faults import FaultDecision, FaultPlan
from devkit.emulator.messaging import TextBook
from devkit.emulator.peer import IngressPeer, PeerClient
from devkit.emulator.replies import authorized, validation_reply

_ACTION = "/actions/ai_assistant_add_messages"
ADD_MESSAGES_PATH = "/calls/{call_control_id}" + _ACTION
# ``:path``: a segment that decodes to a slash must still reach the route, to be refused.
ADD_MESSAGES_ROUTE = "/calls/{call_control_id:path}" + _ACTION


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
    base_path: str = ""
    """Where the API is served, e.g. ``/v2`` (the raw path starts with it)."""
    stats: Counter[str] = field(default_factory=Counter)
    texts: TextBook = field(default_factory=TextBook)
    """SMS sent through the messaging API, by destination number."""
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


def raw_segment(raw_path: bytes, base_path: str) -> str:
    """The call id's segment of an add-messages request's raw path, as it arrived.

    ``ValueError`` when the raw path is not ``{base}/calls/<segment>/actions/…``
    (its fixed parts spelled another way).
    """
    text = raw_path.decode("latin-1")
    prefix = f"{base_path}/calls/"
    if not (text.startswith(prefix) and text.endswith(_ACTION)):
        raise ValueError(f"the raw path {text!r} is not {prefix}<call id>{_ACTION}")
    return text[len(prefix) : -len(_ACTION)]


def _refuse_path(state: EmulatorState, decoded_id: str, segment: str, why: str) -> Response:
    state.stats["path_refused"] += 1
    detail = f"Path segment not as the official SDK encodes a call id: {why}"
    # The decoded form is what the client meant; its call (if any) shows the refusal.
    state.book.record_refused(decoded_id, None, 400, note=f"path_segment: {why}", segment=segment)
    return replies.error_response(400, replies.PATH_SEGMENT, detail)


async def add_messages(request: Request) -> Response:
    """The add-messages action."""
    state: EmulatorState = request.app.state.emulator
    decoded_id: str = request.path_params["call_control_id"]
    state.stats["requests"] += 1
    raw_path: bytes = request.scope.get("raw_path") or b""
    try:
        segment = raw_segment(raw_path, state.base_path)
    except ValueError as exc:
        return _refuse_path(state, decoded_id, raw_path.decode("latin-1"), str(exc))
    try:
        call_control_id = decode_segment(segment)
    except ValueError as exc:
        return _refuse_path(state, decoded_id, segment, str(exc))
    decision = state.faults.decide(call_control_id)
    if decision.delay_s > 0:
        await asyncio.sleep(decision.delay_s)
    if not authorized(request, state.api_key):
        state.stats["unauthorized"] += 1
        return replies.unauthorized()
    body = await request.body()
    try:
        parsed = AddMessagesIn.model_validate_json(body)
    except ValidationError as exc:
        state.stats["invalid"] += 1
        return validation_reply(exc)
    command = AddMessages(
        messages=[m.model_dump() for m in parsed.messages],
        command_id=parsed.command_id,
        trigger_response=parsed.trigger_response,
        client_state=parsed.client_state,
        traceparent=request.headers.get("traceparent"),
    )
    if decision.faulted:
        return await _fault(state, call_control_id, segment, command, decision)
    return _answer(state, call_control_id, segment, command)


def _answer(
    state: EmulatorState,
    call_control_id: str,
    segment: str,
    command: AddMessages,
    *,
    fault_status: int | None = None,
) -> Response:
    verdict = state.book.verdict(call_control_id, command.command_id)
    status = {"unknown_call": 404, "call_ended": 422}.get(verdict, 200)
    state.book.add(call_control_id, command, status=fault_status or status, segment=segment)
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
    state: EmulatorState,
    call_control_id: str,
    segment: str,
    command: AddMessages,
    decision: FaultDecision,
) -> Response:
    status = 504 if decision.hang_s is not None else decision.status
    assert status is not None  # a faulted decision carries a status or a hang
    state.stats["fault"] += 1
    if decision.apply_first:
        _answer(state, call_control_id, segment, command, fault_status=status)
    else:
        state.book.record_refused(
            call_control_id,
            command.command_id,
            status,
            note="fault",
            segment=segment,
            traceparent=command.traceparent,
        )
    if decision.hang_s is not None:
        await asyncio.sleep(decision.hang_s)
    return replies.fault_response(status, decision.retry_after)
