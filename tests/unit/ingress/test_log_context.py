"""Every line the ingress logs while it handles a request names the ids it validated, from the
logging context, and no line of the next request inherits them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import structlog
from nacl.signing import SigningKey
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from devkit.testing.webhooks import public_key_b64, telnyx_signature_headers
from ingress.app import create_app
from ingress.metrics import IngressMetrics
from ingress.testing import MemoryPublisher
from tests.ingress_support import make_settings

NOW = 1_800_000_000
TOKEN = "ingress-token-for-logs"
KEY = SigningKey(b"\x09" * 32)
AUTH = {"authorization": f"Bearer {TOKEN}"}
CALL = "v3:logged-call"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(ingress_token=TOKEN, public_key=public_key_b64(KEY))
    app = create_app(
        settings,
        MemoryPublisher(),
        metrics=IngressMetrics.create(CollectorRegistry()),
        clock=lambda: NOW,
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://ingress") as http,
    ):
        yield http


def _lines(logs: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [line for line in logs if line["event"] == event]


@pytest.fixture(autouse=True)
def _no_leftover_context() -> None:
    structlog.contextvars.clear_contextvars()


def _captured() -> Any:
    return capture_logs([structlog.contextvars.merge_contextvars])


async def _tool(client: httpx.AsyncClient, call: str = CALL) -> httpx.Response:
    return await client.post(
        "/tools/lookup_order_status",
        json={"order_id": "ORD-9"},
        headers=AUTH | {"x-telnyx-call-control-id": call},
    )


async def test_a_tool_call_binds_its_call_and_request_ids(client: httpx.AsyncClient) -> None:
    """The accepted line names the call and the request although the route passes neither."""
    with _captured() as logs:
        response = await _tool(client)
    [accepted] = _lines(logs, "tool_call_accepted")
    assert accepted["call_control_id"] == CALL
    assert accepted["request_id"] == response.json()["request_id"]


async def test_a_rejection_after_validation_names_the_call(client: httpx.AsyncClient) -> None:
    """A body that is not JSON, for a valid call: the error handler's line names the call."""
    with _captured() as logs:
        response = await client.post(
            "/tools/lookup_order_status",
            content=b"{not json",
            headers=AUTH | {"x-telnyx-call-control-id": CALL, "content-type": "application/json"},
        )
    assert response.status_code == 400
    [rejected] = _lines(logs, "request_rejected")
    assert rejected["call_control_id"] == CALL
    assert "request_id" not in rejected, "no request id exists before the body is read"


async def test_the_next_request_inherits_nothing(client: httpx.AsyncClient) -> None:
    """A request for no call, right after one for a call, logs no call or request id."""
    with _captured() as logs:
        await _tool(client)
        await client.post("/tools/lookup_order_status", json={}, headers=AUTH)  # no call id
    [rejected] = _lines(logs, "request_rejected")
    assert rejected["status"] == 400
    assert "call_control_id" not in rejected
    assert "request_id" not in rejected
    assert structlog.contextvars.get_contextvars() == {}


async def test_a_supervisor_note_and_a_webhook_name_their_call(client: httpx.AsyncClient) -> None:
    """The supervisor route and the webhook route bind the call they carry."""
    body = json.dumps(
        {
            "data": {
                "id": "evt-1",
                "event_type": "call.answered",
                "occurred_at": "2027-01-15T08:00:00Z",
                "payload": {"call_control_id": "v3:hooked", "from": "+15551230000"},
            }
        }
    ).encode()
    headers = telnyx_signature_headers(KEY, body, timestamp=NOW) | {
        "content-type": "application/json"
    }
    with _captured() as logs:
        await client.post(f"/calls/{CALL}/messages", json={"content": "hello"}, headers=AUTH)
        await client.post("/webhooks/telnyx", content=body, headers=headers)
    [note] = _lines(logs, "supervisor_message_accepted")
    assert note["call_control_id"] == CALL
    [event] = _lines(logs, "call_event_accepted")
    assert event["call_control_id"] == "v3:hooked"
