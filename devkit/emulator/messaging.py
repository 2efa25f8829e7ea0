"""The emulated messaging API: ``POST {base}/messages`` (the official SDK's ``messages.send``).

Checks in the same order as Add Messages: the bearer key (401), the body
(422: ``to`` E.164, ``from`` present, ``text`` non-empty and at most 10
segments' worth), then faults (keyed by the destination number, so a test can
fail the texts to one caller), then the ``Idempotency-Key`` header: a key
seen within the window is answered with the first reply again and nothing is
sent twice. Every accepted text lands in the transcript of its destination
number, which ``GET /_emulator/messages/{number}`` returns.

It must never send one idempotency key twice within the window.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from devkit.emulator import replies
from devkit.emulator.replies import authorized, validation_reply

MESSAGES_PATH = "/messages"
DEFAULT_IDEMPOTENCY_WINDOW_S = 24 * 3600.0
MAX_TEXT_CHARS = 1600  # ten concatenated segments; the real API refuses longer texts too
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class MessageSendIn(BaseModel):
    """The body ``client.messages.send`` posts (its other optional fields are allowed)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    to: str
    from_: str = Field(alias="from", min_length=1)
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)

    @field_validator("to")
    @classmethod
    def _e164(cls, value: str) -> str:
        if not _E164.fullmatch(value):
            raise ValueError("must be an E.164 phone number such as +15551230000")
        return value


@dataclass
class Text:
    """One accepted SMS."""

    id: str
    from_: str
    to: str
    text: str
    idempotency_key: str | None
    at: float

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.from_,
            "to": self.to,
            "text": self.text,
            "idempotency_key": self.idempotency_key,
            "at": self.at,
        }


@dataclass
class TextBook:
    """Texts by destination number, and the replies each idempotency key was given."""

    window_s: float = DEFAULT_IDEMPOTENCY_WINDOW_S
    clock: Callable[[], float] = time.time
    by_number: dict[str, list[Text]] = field(default_factory=dict)
    _keys: dict[str, tuple[float, Text]] = field(default_factory=dict)

    def seen(self, key: str | None) -> Text | None:
        if key is None:
            return None
        found = self._keys.get(key)
        if found is None or self.clock() - found[0] > self.window_s:
            return None
        return found[1]

    def send(self, parsed: MessageSendIn, key: str | None) -> Text:
        text = Text(str(uuid.uuid4()), parsed.from_, parsed.to, parsed.text, key, self.clock())
        self.by_number.setdefault(parsed.to, []).append(text)
        if key is not None:
            self._keys[key] = (text.at, text)
        return text

    def clear(self) -> None:
        self.by_number.clear()
        self._keys.clear()


def _reply(text: Text) -> JSONResponse:
    return JSONResponse(
        {
            "data": {
                "record_type": "message",
                "id": text.id,
                "type": "SMS",
                "direction": "outbound",
                "from": {"phone_number": text.from_},
                "to": [{"phone_number": text.to, "status": "queued"}],
                "text": text.text,
            }
        }
    )


async def send_message(request: Request) -> Response:
    """The messaging API's send."""
    state = request.app.state.emulator
    state.stats["messages_requests"] += 1
    if not authorized(request, state.api_key):
        state.stats["unauthorized"] += 1
        return replies.unauthorized()
    try:
        parsed = MessageSendIn.model_validate_json(await request.body())
    except ValidationError as exc:
        state.stats["messages_invalid"] += 1
        return validation_reply(exc)
    decision = state.faults.decide(parsed.to)
    if decision.delay_s > 0:
        await asyncio.sleep(decision.delay_s)
    key = request.headers.get("idempotency-key") or None
    if decision.faulted:
        status = 504 if decision.hang_s is not None else decision.status
        assert status is not None  # a faulted decision carries a status or a hang
        state.stats["messages_fault"] += 1
        if decision.apply_first and state.texts.seen(key) is None:
            state.texts.send(parsed, key)
        if decision.hang_s is not None:
            await asyncio.sleep(decision.hang_s)
        return replies.fault_response(status, decision.retry_after)
    earlier = state.texts.seen(key)
    if earlier is not None:
        state.stats["messages_repeated"] += 1
        return _reply(earlier)
    state.stats["messages_sent"] += 1
    return _reply(state.texts.send(parsed, key))


async def texts_to(request: Request) -> Response:
    """The texts sent to one number, in order."""
    state = request.app.state.emulator
    number = request.path_params["number"]
    texts = [text.as_json() for text in state.texts.by_number.get(number, [])]
    return JSONResponse({"number": number, "messages": texts})


async def all_texts(request: Request) -> Response:
    state = request.app.state.emulator
    return JSONResponse({n: len(t) for n, t in state.texts.by_number.items()})
