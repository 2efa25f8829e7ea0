"""The emulator plays the platform over real HTTP: signed lifecycle webhooks and tool calls."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from nacl.signing import VerifyKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from devkit.emulator import EmulatorControl, EmulatorOptions, EmulatorThread
from devkit.emulator.peer import IngressPeer
from devkit.emulator.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSigner
from devkit.testing.http import serve_in_thread


@dataclass
class Receiver:
    """A stand-in ingress that verifies signatures and records what arrived."""

    public_key_b64: str
    refuse_first: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        key = VerifyKey(base64.b64decode(self.public_key_b64))

        async def webhook(request: Request) -> JSONResponse:
            body = await request.body()
            signed = request.headers[TIMESTAMP_HEADER].encode() + b"|" + body
            key.verify(signed, base64.b64decode(request.headers[SIGNATURE_HEADER]))
            if self.refuse_first > 0:
                self.refuse_first -= 1
                return JSONResponse({"error": "unavailable"}, 503, {"Retry-After": "0"})
            self.received.append({"kind": "webhook", **(await request.json())["data"]})
            return JSONResponse({"status": "ok"})

        async def tool(request: Request) -> JSONResponse:
            self.received.append(
                {
                    "kind": "tool",
                    "tool": request.path_params["tool"],
                    "call": request.headers["x-telnyx-call-control-id"],
                    "auth": request.headers.get("authorization"),
                    "idempotency": request.headers.get("idempotency-key"),
                    "arguments": await request.json(),
                }
            )
            return JSONResponse({"status": "accepted", "request_id": "r-1"}, 202)

        return Starlette(
            routes=[
                Route("/webhooks/telnyx", webhook, methods=["POST"]),
                Route("/tools/{tool}", tool, methods=["POST"]),
            ]
        )


@pytest.fixture
def wired() -> Iterator[tuple[Receiver, EmulatorControl]]:
    signer = WebhookSigner.generate()
    receiver = Receiver(signer.public_key_b64)
    with serve_in_thread(receiver.app(), lifespan="off") as ingress_url:
        peer = IngressPeer(url=ingress_url, signing_seed_b64=signer.seed_b64, token="tools-token")
        with EmulatorThread(EmulatorOptions(api_key="k" * 16, peer=peer)) as emulator:
            control = EmulatorControl(emulator.url)
            try:
                yield receiver, control
            finally:
                control.close()


def test_call_lifecycle_is_announced_in_order(wired: tuple[Receiver, EmulatorControl]) -> None:
    """Start sends initiated, answered, conversation.created; hangup the two end events."""
    receiver, control = wired
    call = control.start_call(from_number="+15551230000", to_number="+15559870000")
    control.hang_up(call)
    events = [r["event_type"] for r in receiver.received]
    assert events == [
        "call.initiated", "call.answered", "call.conversation.created",
        "call.conversation.ended", "call.hangup",
    ]  # fmt: skip
    assert {r["payload"]["call_control_id"] for r in receiver.received} == {call}
    assert receiver.received[0]["payload"]["from"] == "+15551230000"
    assert len({r["id"] for r in receiver.received}) == 5


def test_a_refused_webhook_is_retried(wired: tuple[Receiver, EmulatorControl]) -> None:
    """A 503 from the ingress is retried (re-signed) until it is taken."""
    receiver, control = wired
    receiver.refuse_first = 2
    detail = control.start_call_detail(answer=False)
    assert [w["attempts"] for w in detail["webhooks"]] == [3]
    assert [r["event_type"] for r in receiver.received] == ["call.initiated"]


def test_assistant_fires_tools_with_the_call_header(
    wired: tuple[Receiver, EmulatorControl],
) -> None:
    """The tool call carries the call id header, the token, an idempotency key and the args."""
    receiver, control = wired
    call = control.start_call()
    answer = control.fire_tool(call, "lookup_order_status", {"order_id": "ORD-12345"})
    assert answer["status"] == 202
    assert answer["body"]["request_id"] == "r-1"
    [fired] = [r for r in receiver.received if r["kind"] == "tool"]
    assert fired["tool"] == "lookup_order_status"
    assert fired["call"] == call
    assert fired["auth"] == "Bearer tools-token"
    assert fired["idempotency"]
    assert fired["arguments"] == {"order_id": "ORD-12345"}
    out_of_order = control.send_webhook(call, "call.hangup")
    assert out_of_order["status"] == 200
