"""The emulator's control API under ``/_emulator``: calls, transcripts, fault knobs, counters.

For tests, benchmarks and the demo, never for the injector: it is how a test
starts and hangs up calls, reads what each call received, and sets faults.
It carries no credentials, so the emulator listens on loopback only.
"""

from __future__ import annotations

import secrets
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from callstream.ids import check_call_control_id
from devkit.emulator import messaging
from devkit.emulator.api import EmulatorState
from devkit.emulator.calls import Call
from devkit.emulator.faults import Faults
from devkit.emulator.outbound import END_EVENTS, RINGING_EVENTS, START_EVENTS, announce

PREFIX = "/_emulator"


def _state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse(
        {"error": "bad_request" if status < 404 else "not_found", "detail": detail}, status
    )


def _summary(call: Call) -> dict[str, Any]:
    return {
        "call_control_id": call.call_control_id,
        "status": call.status,
        "injected": len(call.commands),
        "requests": len(call.requests),
    }


async def _json_object(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        value = await request.json()
    except ValueError as exc:
        raise ValueError("body is not JSON") from exc
    if not isinstance(value, dict):
        raise TypeError("body must be a JSON object")
    return value


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a string")
    return value


async def start_call(request: Request) -> Response:
    """Start a live call and announce it to the ingress when one is configured.

    Body (all optional): ``call_control_id``, ``from``, ``to``, ``answer``
    (default true; false leaves the call ringing: only ``call.initiated``).
    """
    state = _state(request)
    try:
        body = await _json_object(request)
        call_control_id = str(body.get("call_control_id") or f"v3:emu-{secrets.token_urlsafe(16)}")
        check_call_control_id(call_control_id)
        call = state.book.start(
            call_control_id,
            from_number=_optional_str(body, "from"),
            to_number=_optional_str(body, "to"),
        )
    except (ValueError, TypeError) as exc:
        return _problem(400, str(exc))
    events = START_EVENTS if body.get("answer", True) else RINGING_EVENTS
    webhooks = await announce(state.peer_client(), call, events)
    return JSONResponse(_summary(call) | {"webhooks": webhooks}, 201)


async def hang_up(request: Request) -> Response:
    """End a call (from now on it answers 422 with code 90018) and announce it."""
    state = _state(request)
    call_control_id = request.path_params["call_control_id"]
    try:
        call = state.book.hang_up(call_control_id)
    except KeyError:
        return _problem(404, f"no call {call_control_id!r}")
    webhooks = await announce(state.peer_client(), call, END_EVENTS)
    return JSONResponse(_summary(call) | {"webhooks": webhooks})


async def transcript(request: Request) -> Response:
    """What the call received, in order, and every raw request that reached it
    (``?format=text``: the messages alone, for a person to read)."""
    call = _state(request).book.get(request.path_params["call_control_id"])
    if call is None:
        return _problem(404, "no such call")
    if request.query_params.get("format") == "text":
        return PlainTextResponse(call.transcript_text())
    return JSONResponse(call.transcript())


async def list_calls(request: Request) -> Response:
    return JSONResponse({"calls": [_summary(c) for c in _state(request).book.calls()]})


async def clear_calls(request: Request) -> Response:
    _state(request).book.clear()
    return Response(status_code=204)


async def get_faults(request: Request) -> Response:
    plan = _state(request).faults
    return JSONResponse({"faults": plan.faults.model_dump(mode="json"), "hits": plan.hits()})


async def put_faults(request: Request) -> Response:
    """Replace the faults in force (counters and windows restart now)."""
    try:
        faults = Faults.model_validate(await _json_object(request))
    except (ValueError, TypeError, ValidationError) as exc:
        return _problem(400, str(exc))
    _state(request).faults.set(faults)
    return await get_faults(request)


async def clear_faults(request: Request) -> Response:
    _state(request).faults.set(Faults())
    return Response(status_code=204)


async def stats(request: Request) -> Response:
    """Request counters by verdict and status, and the dedupe window in force."""
    state = _state(request)
    return JSONResponse(
        {"counters": dict(state.stats), "dedupe_window_s": state.book.dedupe_window_s}
    )


routes = [
    Route(f"{PREFIX}/calls", start_call, methods=["POST"]),
    Route(f"{PREFIX}/calls", list_calls, methods=["GET"]),
    Route(f"{PREFIX}/calls", clear_calls, methods=["DELETE"]),
    Route(f"{PREFIX}/calls/{{call_control_id}}", transcript, methods=["GET"]),
    Route(f"{PREFIX}/calls/{{call_control_id}}/hangup", hang_up, methods=["POST"]),
    Route(f"{PREFIX}/faults", get_faults, methods=["GET"]),
    Route(f"{PREFIX}/faults", put_faults, methods=["PUT"]),
    Route(f"{PREFIX}/faults", clear_faults, methods=["DELETE"]),
    Route(f"{PREFIX}/stats", stats, methods=["GET"]),
    Route(f"{PREFIX}/messages", messaging.all_texts, methods=["GET"]),
    Route(f"{PREFIX}/messages/{{number}}", messaging.texts_to, methods=["GET"]),
]
