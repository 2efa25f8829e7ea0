"""The official telnyx SDK talks to the emulator unchanged: same path, body fields and replies."""

from __future__ import annotations

import base64
import typing
from collections.abc import AsyncIterator

import httpx
import pytest
import telnyx
from telnyx.types.calls import action_add_ai_assistant_messages_params as sdk_params

from devkit.emulator import create_app
from devkit.emulator.api import ADD_MESSAGES_PATH, AddMessagesIn

KEY = "KEY-sdk-shapes-0123456"


@pytest.fixture
async def sdk() -> AsyncIterator[tuple[telnyx.AsyncTelnyx, list[httpx.Request], httpx.AsyncClient]]:
    seen: list[httpx.Request] = []

    async def remember(request: httpx.Request) -> None:
        seen.append(request)

    app = create_app(api_key=KEY)
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), event_hooks={"request": [remember]}
    )
    control = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e")
    await control.post("/_emulator/calls", json={"call_control_id": "v3:sdk-call"})
    client = telnyx.AsyncTelnyx(
        api_key=KEY, base_url="http://emulator/v2", http_client=http, max_retries=0
    )
    async with client:
        yield client, seen, control
    await control.aclose()


def test_body_fields_match_the_sdk_params_type() -> None:
    """The emulator validates exactly the fields the SDK's params TypedDict declares."""
    sdk_fields = set(typing.get_type_hints(sdk_params.ActionAddAIAssistantMessagesParams))
    assert sdk_fields == set(AddMessagesIn.model_fields)


async def test_sdk_add_messages_is_accepted_and_recorded(
    sdk: tuple[telnyx.AsyncTelnyx, list[httpx.Request], httpx.AsyncClient],
) -> None:
    """add_ai_assistant_messages hits the emulator's path; every field lands in the transcript."""
    client, seen, control = sdk
    state = base64.b64encode(b"order=42").decode()
    reply = await client.calls.actions.add_ai_assistant_messages(
        "v3:sdk-call",
        messages=[{"role": "system", "content": "[ORDER LOOKUP COMPLETE] shipped"}],
        command_id="cmd-1",
        trigger_response=True,
        client_state=state,
    )
    assert reply.data is not None
    assert reply.data.result == "ok"
    [request] = seen
    assert request.url.path == "/v2" + ADD_MESSAGES_PATH.format(call_control_id="v3:sdk-call")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    [entry] = (await control.get("/_emulator/calls/v3:sdk-call")).json()["injected"]
    assert entry["command_id"] == "cmd-1"
    assert entry["trigger_response"] is True
    assert entry["client_state"] == state
    assert entry["messages"] == [{"role": "system", "content": "[ORDER LOOKUP COMPLETE] shipped"}]


async def test_sdk_raises_its_own_errors_for_the_emulators_refusals(
    sdk: tuple[telnyx.AsyncTelnyx, list[httpx.Request], httpx.AsyncClient],
) -> None:
    """Ended call: 422 error with code 90018; unknown call: NotFound; bad key: 401."""
    client, _, control = sdk
    await control.post("/_emulator/calls/v3:sdk-call/hangup")
    messages: list[sdk_params.Message] = [{"role": "system", "content": "late"}]
    with pytest.raises(telnyx.UnprocessableEntityError) as ended:
        await client.calls.actions.add_ai_assistant_messages("v3:sdk-call", messages=messages)
    assert isinstance(ended.value.body, dict)
    assert ended.value.body["errors"][0]["code"] == "90018"
    with pytest.raises(telnyx.NotFoundError):
        await client.calls.actions.add_ai_assistant_messages("v3:unknown", messages=messages)
    wrong = client.with_options(api_key="KEY-wrong-0000000")
    with pytest.raises(telnyx.AuthenticationError):
        await wrong.calls.actions.add_ai_assistant_messages("v3:sdk-call", messages=messages)
