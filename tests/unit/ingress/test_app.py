"""The routes' decisions, served in-process with an in-memory publisher (no broker, no socket).

Durability itself, and every rejection publishing nothing on a real topic, is
checked against the real broker in tests/integration/ingress; here the
subject is the HTTP contract: status, error code, record, key, order of checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from nacl.signing import SigningKey
from prometheus_client import CollectorRegistry

from callstream.errors import KafkaUnavailable, ProducerQueueFull, PublishFailed
from callstream.records import CallEvent, SupervisorMessage, ToolCall, decode
from devkit.testing.webhooks import public_key_b64, telnyx_signature_headers
from ingress.app import create_app
from ingress.metrics import IngressMetrics
from ingress.testing import MemoryPublisher
from tests.ingress_support import make_settings

NOW = 1_800_000_000.0
TOKEN = "ingress-token-1"
CRM_TOKEN = "crm-token-1"
KEY = SigningKey(b"\x07" * 32)
CALL = "v3:abc-123"
JSON = {"content-type": "application/json"}
AUTH = {"authorization": f"Bearer {TOKEN}"}


@contextlib.asynccontextmanager
async def _client(
    publisher: MemoryPublisher, *, ingress_token: str | None = TOKEN, **config: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, MemoryPublisher, IngressMetrics]]:
    settings = make_settings(
        ingress_token=ingress_token,
        public_key=public_key_b64(KEY),
        source_tokens={"crm": CRM_TOKEN},
        config={"sources": {"crm": {"topic": "crm.events"}}} | config,
    )
    metrics = IngressMetrics.create(CollectorRegistry())
    app = create_app(settings, publisher, metrics=metrics, clock=lambda: NOW)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://ingress") as client,
    ):
        yield client, publisher, metrics


@pytest.fixture
async def served() -> AsyncIterator[tuple[httpx.AsyncClient, MemoryPublisher, IngressMetrics]]:
    async with _client(MemoryPublisher()) as served:
        yield served


Served = tuple[httpx.AsyncClient, MemoryPublisher, IngressMetrics]


async def _tool(
    client: httpx.AsyncClient, body: bytes = b'{"order_id": "ORD-1"}', **headers: str
) -> httpx.Response:
    return await client.post(
        "/tools/lookup_order_status",
        content=body,
        headers=JSON | AUTH | {"x-telnyx-call-control-id": CALL} | headers,
    )


async def test_a_tool_call_is_published_keyed_by_call_then_answered_202(served: Served) -> None:
    """202 with the request id, after one ToolCall record keyed by the call id."""
    client, publisher, _ = served
    response = await _tool(client)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "accepted"
    [record] = publisher.records
    assert (record.topic, record.key) == ("t.tool-calls", CALL.encode())
    call = decode(ToolCall, record.value)
    assert call.request_id == body["request_id"]
    assert (call.tool, call.call_control_id) == ("lookup_order_status", CALL)
    assert call.arguments == {"order_id": "ORD-1"}
    assert call.received_at.timestamp() == NOW


async def test_an_idempotency_key_makes_a_retry_the_same_request(served: Served) -> None:
    """The same Idempotency-Key twice: the same request id; without one, different ids."""
    client, _, _ = served
    first = (await _tool(client, **{"idempotency-key": "telnyx-attempt-9"})).json()["request_id"]
    again = (await _tool(client, **{"idempotency-key": "telnyx-attempt-9"})).json()["request_id"]
    fresh = (await _tool(client)).json()["request_id"]
    assert first == again != fresh


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (ProducerQueueFull("queue full"), "overloaded"),
        (KafkaUnavailable("_ALL_BROKERS_DOWN"), "kafka_unavailable"),
        (PublishFailed("UNKNOWN_TOPIC_OR_PART"), "kafka_unavailable"),
    ],
)
async def test_a_failed_publish_is_503_with_retry_after(failure: Exception, code: str) -> None:
    """Whatever kept Kafka from acknowledging, the caller gets 503 and Retry-After."""
    assert isinstance(failure, KafkaUnavailable | PublishFailed)
    async with _client(MemoryPublisher(fail_with=failure)) as (client, _, metrics):
        response = await _tool(client)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "2"
        assert response.json()["error"] == code
        failures = metrics.registry.get_sample_value(
            "callstream_ingress_produce_failures_total",
            {"topic_role": "tool-calls", "reason": _reason(failure)},
        )
        assert failures == 1.0


def _reason(failure: Exception) -> str:
    if isinstance(failure, ProducerQueueFull):
        return "queue_full"
    return "unavailable" if isinstance(failure, KafkaUnavailable) else "failed"


async def test_a_broker_that_never_acknowledges_is_503_at_the_deadline() -> None:
    """A publish that never resolves is cut at ack_timeout_s: 503, no hang."""
    async with _client(
        MemoryPublisher(hang=True), ingress={"ack_timeout_s": 0.2, "retry_after_s": 7}
    ) as (client, publisher, _):
        response = await _tool(client)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "7"
        assert "did not acknowledge within 0.2 s" in response.json()["detail"]
        assert publisher.records == []


async def test_declared_tools_are_the_only_tools() -> None:
    """With a tool list, another name is 404 unknown_tool; a declared one is accepted."""
    async with _client(MemoryPublisher(), tools={"lookup_order_status": {}}) as (
        client,
        publisher,
        _,
    ):
        assert (await _tool(client)).status_code == 202
        response = await client.post(
            "/tools/delete_everything",
            json={},
            headers=AUTH | {"x-telnyx-call-control-id": CALL},
        )
        assert response.status_code == 404
        assert response.json()["error"] == "unknown_tool"
        assert len(publisher.records) == 1


async def test_a_name_that_could_never_be_declared_is_404(served: Served) -> None:
    """Without a tool list any valid name goes, but not one the config would refuse."""
    client, publisher, _ = served
    response = await client.post(
        "/tools/" + "x" * 65, json={}, headers=AUTH | {"x-telnyx-call-control-id": CALL}
    )
    assert (response.status_code, response.json()["error"]) == (404, "unknown_tool")
    assert publisher.records == []


async def test_tools_are_open_when_no_ingress_token_is_set() -> None:
    """/tools needs CALLSTREAM_INGRESS_TOKEN only when it is set (README, *Configuration*)."""
    async with _client(MemoryPublisher(), ingress_token=None) as (client, publisher, _):
        response = await client.post(
            "/tools/t", json={}, headers={"x-telnyx-call-control-id": CALL}
        )
        assert response.status_code == 202
        assert len(publisher.records) == 1


async def test_credentials_are_checked_before_anything_is_parsed(served: Served) -> None:
    """No token, no call id header, body not JSON: the answer is 401, not 400."""
    client, publisher, _ = served
    response = await client.post("/tools/t", content=b"not json", headers=JSON)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "unauthorized"
    assert publisher.records == []


def _webhook(call_control_id: str | None = CALL, event_type: str = "call.answered") -> bytes:
    payload = {} if call_control_id is None else {"call_control_id": call_control_id}
    return json.dumps(
        {
            "data": {
                "id": "evt-1",
                "event_type": event_type,
                "occurred_at": "2026-11-23T12:00:00Z",
                "payload": payload | {"from": "+15551230000", "to": "+15559870000"},
            }
        }
    ).encode()


async def test_a_signed_webhook_becomes_a_call_event(served: Served) -> None:
    """Verified, normalised, published keyed by call id, answered 200 with its id."""
    client, publisher, _ = served
    body = _webhook()
    headers = JSON | telnyx_signature_headers(KEY, body, timestamp=int(NOW))
    response = await client.post("/webhooks/telnyx", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "event_id": "evt-1", "reason": None}
    [record] = publisher.records
    assert (record.topic, record.key) == ("t.call-events", CALL.encode())
    event = decode(CallEvent, record.value)
    assert (event.event_type, event.payload.from_) == ("call.answered", "+15551230000")


async def test_a_webhook_without_a_call_is_acknowledged_not_published(served: Served) -> None:
    """200 'ignored', counted, nothing published (so Telnyx stops retrying it)."""
    client, publisher, metrics = served
    body = _webhook(None, "message.sent")
    headers = JSON | telnyx_signature_headers(KEY, body, timestamp=int(NOW))
    response = await client.post("/webhooks/telnyx", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert publisher.records == []
    ignored = metrics.registry.get_sample_value(
        "callstream_ingress_webhooks_ignored_total", {"reason": "no_call_control_id"}
    )
    assert ignored == 1.0


async def test_verification_is_checked_before_parsing(served: Served) -> None:
    """An unsigned body that is not even JSON is 401 invalid_signature."""
    client, publisher, _ = served
    response = await client.post("/webhooks/telnyx", content=b"[[[", headers=JSON)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_signature")
    assert publisher.records == []


async def test_verification_off_accepts_unsigned_webhooks() -> None:
    """ingress.verify_signatures: false (development only) skips the signature."""
    async with _client(MemoryPublisher(), ingress={"verify_signatures": False}) as (
        client,
        publisher,
        _,
    ):
        response = await client.post("/webhooks/telnyx", content=_webhook(), headers=JSON)
        assert response.status_code == 200
        assert len(publisher.records) == 1


async def test_a_source_event_is_published_unchanged_keyed_by_its_correlation_key(
    served: Served,
) -> None:
    """No call id: keyed by the customer's phone; the bytes are the sender's bytes."""
    client, publisher, _ = served
    raw = b'{"event_id": 7, "type": "profile.updated", "customer": {"phone": "+15551230000"}}'
    response = await client.post(
        "/events/crm", content=raw, headers=JSON | {"authorization": f"Bearer {CRM_TOKEN}"}
    )
    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "event_id": "7"}
    [record] = publisher.records
    assert (record.topic, record.key, record.value) == ("crm.events", b"+15551230000", raw)


async def test_a_source_event_that_cannot_be_routed_is_400_naming_why(served: Served) -> None:
    """Neither call id nor correlation key: the streams could never deliver it."""
    client, publisher, _ = served
    response = await client.post(
        "/events/crm",
        json={"event_id": "e", "type": "t"},
        headers={"authorization": f"Bearer {CRM_TOKEN}"},
    )
    assert (response.status_code, response.json()["error"]) == (400, "schema")
    assert "correlation key" in response.json()["detail"]
    assert publisher.records == []


async def test_one_source_token_does_not_open_another_endpoint(served: Served) -> None:
    """The CRM token is refused for supervisor messages."""
    client, publisher, _ = served
    response = await client.post(
        f"/calls/{CALL}/messages",
        json={"content": "hi"},
        headers={"authorization": f"Bearer {CRM_TOKEN}"},
    )
    assert response.status_code == 401
    assert publisher.records == []


async def test_a_supervisor_message_is_published_for_its_call(served: Served) -> None:
    """202 with the message id; the record carries content, role and trigger_response."""
    client, publisher, _ = served
    response = await client.post(
        f"/calls/{CALL}/messages",
        json={"content": "Offer the loyalty discount.", "trigger_response": True},
        headers=AUTH,
    )
    assert response.status_code == 202
    [record] = publisher.records
    assert (record.topic, record.key) == ("t.supervisor", CALL.encode())
    message = decode(SupervisorMessage, record.value)
    assert message.message_id == response.json()["message_id"]
    assert (message.content, message.role, message.trigger_response) == (
        "Offer the loyalty discount.",
        "system",
        True,
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"content": "x", "role": "user"}, "role 'user' is not allowed for supervisor messages"),
        ({"content": "x", "role": "assistant"}, "role 'assistant' is not allowed"),
        ({"content": "x", "role": "tool", "tool_call_id": "c-1"}, "role 'tool' is not allowed"),
    ],
)
async def test_a_role_beyond_the_supervisor_policy_is_403_and_nothing_is_published(
    served: Served, body: dict[str, Any], detail: str
) -> None:
    """The token is good, but guardrails.roles.supervisor does not allow that role."""
    client, publisher, _ = served
    response = await client.post(f"/calls/{CALL}/messages", json=body, headers=AUTH)
    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    assert detail in response.json()["detail"]
    assert publisher.records == []


async def test_a_developer_message_is_within_the_default_policy(served: Served) -> None:
    """system and developer are the supervisor's default roles."""
    client, publisher, _ = served
    body = {"content": "Keep it short.", "role": "developer"}
    response = await client.post(f"/calls/{CALL}/messages", json=body, headers=AUTH)
    assert response.status_code == 202
    [record] = publisher.records
    assert decode(SupervisorMessage, record.value).role == "developer"


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({"content": ""}, "content"),
        ({"content": "x", "role": "boss"}, "role"),
        ({"content": "x", "role": "tool"}, "tool_call_id"),
        ({"content": "x", "tool_call_id": "c-1"}, "only a message with role 'tool'"),
        ({"content": "x", "trigger_reponse": True}, "trigger_reponse"),
        ({"role": "system"}, "content"),
    ],
)
async def test_a_malformed_supervisor_message_is_400_naming_the_field(
    served: Served, body: dict[str, Any], mentions: str
) -> None:
    """Schema mismatches, typos included, name the field."""
    client, publisher, _ = served
    response = await client.post(f"/calls/{CALL}/messages", json=body, headers=AUTH)
    assert (response.status_code, response.json()["error"]) == (400, "schema")
    assert mentions in response.json()["detail"]
    assert publisher.records == []


async def test_unknown_routes_and_methods_answer_json(served: Served) -> None:
    """404 and 405 from the router are the same JSON shape as every other error."""
    client, _, _ = served
    missing = await client.get("/nowhere")
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    wrong = await client.get("/tools/t")
    assert (wrong.status_code, wrong.json()["error"]) == (405, "method_not_allowed")
    assert wrong.headers["allow"] == "POST"


async def test_an_unexpected_error_is_a_json_500_without_internals(served: Served) -> None:
    """A bug answers 500 internal, and the exception text stays in the log."""
    client, _, _ = served

    def boom() -> None:
        raise RuntimeError("secret internals")

    app = client._transport.app  # type: ignore[attr-defined]
    assert isinstance(app, FastAPI)
    app.add_api_route("/boom", boom)
    response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json()["error"] == "internal"
    assert "secret internals" not in response.text


async def test_requests_are_counted_by_route_template(served: Served) -> None:
    """Labels are templates and a closed set of methods; never a call id or a raw path."""
    client, _, metrics = served
    await client.post(f"/calls/{CALL}/messages", json={"content": "x"}, headers=AUTH)
    await client.get("/no/such/path/v3:secret-call")
    await client.request("BREW", "/tools/t")
    await client.get("/openapi.json")
    await client.get("/docs")
    sample = metrics.registry.get_sample_value
    for documentation in ("/openapi.json", "/docs"):
        labels = {"route": documentation, "method": "GET", "status": "200"}
        assert sample("callstream_ingress_requests_total", labels) == 1.0
    assert (
        sample(
            "callstream_ingress_requests_total",
            {"route": "/calls/{call_control_id}/messages", "method": "POST", "status": "202"},
        )
        == 1.0
    )
    assert (
        sample(
            "callstream_ingress_requests_total",
            {"route": "unmatched", "method": "GET", "status": "404"},
        )
        == 1.0
    )
    assert (
        sample(
            "callstream_ingress_requests_total",
            {"route": "/tools/{tool_name}", "method": "OTHER", "status": "405"},
        )
        == 1.0
    )
    exposition = (await client.get("/metrics")).text
    assert "v3:secret-call" not in exposition
    assert CALL not in exposition
    assert "callstream_ingress_produce_seconds_bucket" in exposition


async def _probed(client: httpx.AsyncClient) -> httpx.Response:
    """/readyz once the broker watch has made its first probe (it runs as its own task)."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        response = await client.get("/readyz")
        if response.json()["checks"]["topics"]["detail"] != "not probed yet":
            return response
        assert asyncio.get_running_loop().time() < deadline, "never probed"
        await asyncio.sleep(0.01)


async def test_readiness_follows_the_broker_and_topics() -> None:
    """Ready once the cluster lists every topic the ingress writes; not ready otherwise."""
    topics = frozenset({"t.tool-calls", "t.call-events", "t.supervisor", "crm.events"})
    async with _client(MemoryPublisher(topics=topics)) as (client, _, _):
        assert (await _probed(client)).json()["status"] == "ready"
        assert (await client.get("/healthz")).json() == {"status": "ok"}
    async with _client(MemoryPublisher(topics=topics - {"crm.events"})) as (client, _, _):
        response = await _probed(client)
        assert response.status_code == 503
        assert "crm.events" in response.json()["checks"]["topics"]["detail"]
    async with _client(MemoryPublisher(fatal_error="fenced")) as (client, _, _):
        assert (await _probed(client)).json()["checks"]["producer"] == {
            "ok": False,
            "detail": "fenced",
        }
        assert (await client.get("/healthz")).status_code == 503


async def test_the_openapi_document_describes_every_answer(served: Served) -> None:
    """Bodies, headers, security and each status a route can give; no 422 anywhere."""
    client, _, _ = served
    document = (await client.get("/openapi.json")).json()
    tool = document["paths"]["/tools/{tool_name}"]["post"]
    assert set(tool["responses"]) == {"202", "400", "401", "404", "413", "415", "503"}
    assert "Retry-After" in tool["responses"]["503"]["headers"]
    assert tool["requestBody"]["required"] is True
    headers = {p["name"]: p for p in tool["parameters"] if p["in"] == "header"}
    assert headers["x-telnyx-call-control-id"]["required"] is True
    assert headers["x-telnyx-call-control-id"]["schema"]["maxLength"] == 256
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert tool["security"] == [{"bearer": []}], "the token is set, so /tools requires it"
    supervisor = document["paths"]["/calls/{call_control_id}/messages"]["post"]
    assert (
        "content"
        in supervisor["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )
    assert "422" not in json.dumps(document["paths"])
    assert (await client.get("/docs")).status_code == 200


async def test_rejections_are_logged_with_their_code_but_no_credentials(served: Served) -> None:
    """One structured line per rejection: status, code, route template; never the token."""
    client, _, _ = served
    with structlog.testing.capture_logs() as logs:
        await client.post("/tools/t", json={}, headers={"authorization": "Bearer wrong-token-123"})
    [line] = [entry for entry in logs if entry["event"] == "request_rejected"]
    assert (line["status"], line["error"], line["route"]) == (
        401,
        "unauthorized",
        "/tools/{tool_name}",
    )
    assert "wrong-token-123" not in str(logs)
    assert TOKEN not in str(logs)


async def test_an_accepted_tool_call_is_logged_with_its_ids(served: Served) -> None:
    """The accepted line carries the call id and the request id, for grep and for joins."""
    client, _, _ = served
    with structlog.testing.capture_logs([structlog.contextvars.merge_contextvars]) as logs:
        response = await _tool(client)
    [line] = [entry for entry in logs if entry["event"] == "tool_call_accepted"]
    assert line["call_control_id"] == CALL
    assert line["request_id"] == response.json()["request_id"]
