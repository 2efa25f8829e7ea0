"""The emulated messaging API (``POST /v2/messages``): auth, validation, idempotency, faults,
and the transcript per destination number."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from devkit.emulator import FaultRule, Faults, create_app

KEY = "KEY-emulator-sms-0123"
TO = "+15551230000"
BODY = {"to": TO, "from": "+15550001111", "text": "About your call: <<<DATA status: ok DATA>>>"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(api_key=KEY))
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        yield http


def auth(key: str = KEY, idempotency: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {key}"}
    if idempotency is not None:
        headers["Idempotency-Key"] = idempotency
    return headers


async def texts(http: httpx.AsyncClient, number: str = TO) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await http.get(f"/_emulator/messages/{number}")).json()[
        "messages"
    ]
    return found


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        (auth(), BODY, (200, None)),
        ({}, BODY, (401, "10009")),
        (auth("wrong-key-000"), BODY, (401, "10009")),
        (auth(), {**BODY, "to": "5551230000"}, (422, "10015")),
        (auth(), {k: v for k, v in BODY.items() if k != "from"}, (422, "10015")),
        (auth(), {**BODY, "text": ""}, (422, "10015")),
        (auth(), {**BODY, "text": "x" * 1601}, (422, "10015")),
    ],
)
async def test_responses_per_case(
    client: httpx.AsyncClient, headers: dict[str, str], body: Any, expected: tuple[int, str | None]
) -> None:
    """Each request gets the status and error code the real API would give; only a 200 is sent."""
    status, code = expected
    reply = await client.post("/v2/messages", json=body, headers=headers)
    assert reply.status_code == status
    if code is not None:
        assert reply.json()["errors"][0]["code"] == code
    assert len(await texts(client)) == (1 if status == 200 else 0)


async def test_one_idempotency_key_sends_once(client: httpx.AsyncClient) -> None:
    """A repeated key gets the first reply again; the transcript holds one text."""
    first = await client.post("/v2/messages", json=BODY, headers=auth(idempotency="fu-1"))
    again = await client.post("/v2/messages", json=BODY, headers=auth(idempotency="fu-1"))
    other = await client.post("/v2/messages", json=BODY, headers=auth(idempotency="fu-2"))
    assert first.json()["data"]["id"] == again.json()["data"]["id"] != other.json()["data"]["id"]
    assert [t["idempotency_key"] for t in await texts(client)] == ["fu-1", "fu-2"]


async def test_faults_hit_texts_to_a_number_and_apply_first_sends_once(
    client: httpx.AsyncClient,
) -> None:
    """A fault keyed by the destination number fails the reply; apply_first sends it anyway,
    and the retry with the same key is answered without a second text."""
    rule = FaultRule(status=503, count=1, apply_first=True, call_control_ids=frozenset({TO}))
    await client.put("/_emulator/faults", json=Faults(rules=[rule]).model_dump(mode="json"))
    failed = await client.post("/v2/messages", json=BODY, headers=auth(idempotency="fu-1"))
    retried = await client.post("/v2/messages", json=BODY, headers=auth(idempotency="fu-1"))
    assert (failed.status_code, retried.status_code) == (503, 200)
    assert len(await texts(client)) == 1
    assert (await client.get("/_emulator/messages")).json() == {TO: 1}
