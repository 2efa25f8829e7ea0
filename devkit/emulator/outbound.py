"""Control routes that make the emulator *act*: lifecycle webhooks and the assistant's tools.

Starting a call announces it to the ingress (``call.initiated``,
``call.answered``, ``call.conversation.created``); hanging up announces the
end (``call.conversation.ended``, ``call.hangup``); any lifecycle event can
also be sent on its own, in any order, because the real platform does not
promise order. The assistant fires async webhook tools. Each route answers
only after the ingress answered, with what it said, so a caller knows the
event was taken (or why not).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devkit.emulator.api import EmulatorState
from devkit.emulator.calls import Call
from devkit.emulator.peer import PeerClient, Sent
from devkit.emulator.webhooks import call_event

PREFIX = "/_emulator"
START_EVENTS = ("call.initiated", "call.answered", "call.conversation.created")
RINGING_EVENTS = ("call.initiated",)
END_EVENTS = ("call.conversation.ended", "call.hangup")


def _state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


def _sent(event: str, sent: Sent) -> dict[str, Any]:
    return {"event": event, "status": sent.status, "attempts": sent.attempts, "body": sent.body}


def _envelope(
    call: Call, event_type: str, *, event_id: str | None = None, extra: Any = None
) -> dict[str, Any]:
    return call_event(
        event_type,
        call_control_id=call.call_control_id,
        occurred_at=datetime.now(UTC),
        from_number=call.from_number,
        to_number=call.to_number,
        event_id=event_id,
        extra=extra,
    )


async def announce(
    client: PeerClient | None, call: Call, event_types: Sequence[str]
) -> list[dict[str, Any]]:
    """Send ``event_types`` for ``call`` in order, each after the previous was answered."""
    if client is None:
        return []
    results = []
    for event_type in event_types:
        sent = await client.send_webhook(_envelope(call, event_type))
        results.append(_sent(event_type, sent))
    return results


async def send_webhook(request: Request) -> Response:
    """Send one lifecycle event for a known call: ``{"event_type": ..., "payload": {...}}``."""
    state = _state(request)
    call = state.book.get(request.path_params["call_control_id"])
    if call is None:
        return JSONResponse({"error": "not_found", "detail": "no such call"}, 404)
    client = state.peer_client()
    if client is None:
        return JSONResponse({"error": "no_ingress", "detail": "started without --ingress-url"}, 409)
    body = await request.json()
    event_type = body.get("event_type") if isinstance(body, dict) else None
    if not isinstance(event_type, str) or not event_type:
        return JSONResponse({"error": "bad_request", "detail": "event_type is required"}, 400)
    envelope = _envelope(
        call, event_type, event_id=body.get("event_id"), extra=body.get("payload") or {}
    )
    return JSONResponse(_sent(event_type, await client.send_webhook(envelope)))


async def fire_tool(request: Request) -> Response:
    """The assistant fires an async webhook tool; the body is the tool's arguments."""
    state = _state(request)
    call_control_id = request.path_params["call_control_id"]
    if state.book.get(call_control_id) is None:
        return JSONResponse({"error": "not_found", "detail": "no such call"}, 404)
    client = state.peer_client()
    if client is None:
        return JSONResponse({"error": "no_ingress", "detail": "started without --ingress-url"}, 409)
    arguments = await request.json()
    if not isinstance(arguments, dict):
        return JSONResponse({"error": "bad_request", "detail": "arguments must be an object"}, 400)
    sent = await client.fire_tool(call_control_id, request.path_params["tool"], arguments)
    return JSONResponse(_sent("tool", sent))


async def info(request: Request) -> Response:
    """Where the emulator sends, and the public key its webhooks verify with."""
    client = _state(request).peer_client()
    return JSONResponse(
        {
            "ingress_url": client.peer.url if client else None,
            "public_key": client.signer.public_key_b64 if client else None,
        }
    )


routes = [
    Route(f"{PREFIX}/calls/{{call_control_id}}/webhooks", send_webhook, methods=["POST"]),
    Route(f"{PREFIX}/calls/{{call_control_id}}/tools/{{tool}}", fire_tool, methods=["POST"]),
    Route(f"{PREFIX}/info", info, methods=["GET"]),
]
