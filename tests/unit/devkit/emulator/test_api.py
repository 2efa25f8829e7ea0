"""The emulated Add Messages API answers as the real one does, checked in-process (ASGI)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from devkit.emulator import FaultRule, Faults, create_app

KEY = "KEY-emulator-test-0123"
PATH = "/v2/calls/{}/actions/ai_assistant_add_messages"
BODY = {"messages": [{"role": "system", "content": "[ORDER] shipped"}], "command_id": "c-1"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(api_key=KEY)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        live = await http.post("/_emulator/calls", json={"call_control_id": "v3:live"})
        assert live.status_code == 201
        await http.post("/_emulator/calls", json={"call_control_id": "v3:ended"})
        await http.post("/_emulator/calls/v3:ended/hangup")
        yield http


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    ("call", "headers", "body", "expected"),
    [
        ("v3:live", auth(), BODY, (200, None)),
        ("v3:live", {}, BODY, (401, "10009")),
        ("v3:live", auth("wrong-key-000"), BODY, (401, "10009")),
        ("v3:live", {"Authorization": f"Basic {KEY}"}, BODY, (401, "10009")),
        ("v3:ended", auth(), BODY, (422, "90018")),
        ("v3:never", auth(), BODY, (404, "10005")),
        ("v3:live", auth(), {"messages": []}, (422, "10015")),
        ("v3:live", auth(), {"messages": [{"role": "robot", "content": "x"}]}, (422, "10015")),
        ("v3:live", auth(), {"messages": [{"role": "system"}]}, (422, "10015")),
        ("v3:live", auth(), {**BODY, "client_state": "not base64!"}, (422, "10015")),
        ("v3:live", auth(), {**BODY, "unexpected": 1}, (422, "10015")),
        ("v3:live", auth(), "not json", (422, "10015")),
    ],
)
async def test_responses_per_case(
    client: httpx.AsyncClient,
    call: str,
    headers: dict[str, str],
    body: Any,
    expected: tuple[int, str | None],
) -> None:
    """Each request gets the status and error code the real API would give it."""
    status, code = expected
    kwargs: dict[str, Any] = {"content": body} if isinstance(body, str) else {"json": body}
    response = await client.post(PATH.format(call), headers=headers, **kwargs)
    assert response.status_code == status
    if code is None:
        assert response.json() == {"data": {"result": "ok"}}
    else:
        [error] = response.json()["errors"]
        assert error["code"] == code
        assert error["title"]


@pytest.mark.parametrize(
    ("segment", "noted_in"),
    [
        ("v3%3Alive", "v3:live"),  # quote(safe=""): what the injector once sent
        ("v3%3alive", "v3:live"),  # lower-case hex
        ("v3:l%69ve", "v3:live"),  # an unreserved character escaped
        ("v3:live/x", None),  # a raw slash: two segments
        ("v3%3Alive%2Factions%2Fhangup", None),
        ("v3:%FF", None),  # not UTF-8
        ("%2E%2E", None),
    ],
)
async def test_a_segment_the_sdk_would_never_send_is_refused(
    client: httpx.AsyncClient, segment: str, noted_in: str | None
) -> None:
    """400 with the emulator's own code, counted, noted in the call it names; nothing applied."""
    response = await client.post(PATH.format(segment), headers=auth(), json=BODY)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "emulator_path_segment"
    assert "official SDK" in error["detail"]
    stats = (await client.get("/_emulator/stats")).json()["counters"]
    assert stats["path_refused"] == 1
    transcript = (await client.get("/_emulator/calls/v3:live")).json()
    assert transcript["injected"] == []
    noted = [r for r in transcript["requests"] if r["note"].startswith("path_segment")]
    if noted_in is None:
        assert noted == []
    else:
        [request] = noted
        assert (request["status"], request["applied"], request["segment"]) == (400, False, segment)


async def test_the_sdks_segment_is_kept_as_it_arrived(client: httpx.AsyncClient) -> None:
    """An accepted request records its raw segment; an SDK-encoded slash names another call."""
    ok = await client.post(PATH.format("v3:live"), headers=auth(), json=BODY)
    assert ok.status_code == 200
    [request] = (await client.get("/_emulator/calls/v3:live")).json()["requests"]
    assert (request["segment"], request["applied"]) == ("v3:live", True)
    other = await client.post(PATH.format("v3:live%2Factions%2Fhangup"), headers=auth(), json=BODY)
    assert (other.status_code, other.json()["errors"][0]["code"]) == (404, "10005")


async def test_duplicate_is_accepted_but_not_applied(client: httpx.AsyncClient) -> None:
    """The second command with the same command_id is answered 200 and not applied again."""
    for _ in range(2):
        response = await client.post(PATH.format("v3:live"), headers=auth(), json=BODY)
        assert response.status_code == 200
    transcript = (await client.get("/_emulator/calls/v3:live")).json()
    assert [entry["command_id"] for entry in transcript["injected"]] == ["c-1"]
    assert transcript["injected"][0]["requests"] == 2
    assert transcript["injected"][0]["messages"] == BODY["messages"]


async def test_fault_rules_answer_before_the_call_and_can_lose_the_reply(
    client: httpx.AsyncClient,
) -> None:
    """A 429 rule answers with Retry-After and applies nothing; apply_first applies, then fails."""
    faults = Faults(
        rules=(
            FaultRule(status=429, count=1, retry_after="2"),
            FaultRule(status=503, count=1, apply_first=True),
        )
    )
    await client.put("/_emulator/faults", json=faults.model_dump(mode="json"))
    limited = await client.post(PATH.format("v3:live"), headers=auth(), json=BODY)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "2")
    assert limited.json()["errors"][0]["code"] == "10011"
    lost = await client.post(PATH.format("v3:live"), headers=auth(), json=BODY)
    assert lost.status_code == 503
    retried = await client.post(PATH.format("v3:live"), headers=auth(), json=BODY)
    assert retried.status_code == 200
    transcript = (await client.get("/_emulator/calls/v3:live")).json()
    assert len(transcript["injected"]) == 1, "the retry of a lost reply is deduped"
    assert [r["status"] for r in transcript["requests"]] == [429, 503, 200]
    assert (await client.get("/_emulator/faults")).json()["hits"] == [1, 1]


async def test_control_api_rejects_bad_input(client: httpx.AsyncClient) -> None:
    """Bad call ids and bad fault JSON are 400s; unknown calls are 404s."""
    bad_id = await client.post("/_emulator/calls", json={"call_control_id": "../etc"})
    assert bad_id.status_code == 400
    bad_faults = await client.put("/_emulator/faults", json={"rules": [{"status": 200}]})
    assert bad_faults.status_code == 400
    assert (await client.post("/_emulator/calls/v3:nope/hangup")).status_code == 404
    assert (await client.get("/_emulator/calls/v3:nope")).status_code == 404
