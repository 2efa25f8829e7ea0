"""The official telnyx SDK against the emulator served over real HTTP on loopback."""

from __future__ import annotations

import pytest
import telnyx
from pydantic import SecretStr
from telnyx.types.calls.action_add_ai_assistant_messages_params import Message

from devkit.emulator import EmulatorControl, EmulatorOptions, EmulatorThread
from injector.client import AddMessagesClient, AiohttpSender
from injector.policy import Reply
from tests.call_ids import HOSTILE, VALID
from tests.unit.injector.factories import make_injection

KEY = "KEY-sdk-over-http-0001"


async def test_sdk_round_trip_over_http() -> None:
    """A live call accepts the SDK's add_ai_assistant_messages; after hangup it answers 90018."""
    with EmulatorThread(EmulatorOptions(api_key=KEY)) as served:
        control = EmulatorControl(served.url)
        call = control.start_call()
        async with telnyx.AsyncTelnyx(
            api_key=KEY, base_url=served.base_url, max_retries=0
        ) as client:
            reply = await client.calls.actions.add_ai_assistant_messages(
                call, messages=[{"role": "system", "content": "hello"}], command_id="c-1"
            )
            assert reply.data is not None
            assert reply.data.result == "ok"
            control.hang_up(call)
            with pytest.raises(telnyx.UnprocessableEntityError) as ended:
                await client.calls.actions.add_ai_assistant_messages(
                    call, messages=[{"role": "system", "content": "late"}]
                )
            assert isinstance(ended.value.body, dict)
            assert ended.value.body["errors"][0]["code"] == "90018"
        assert [e["command_id"] for e in control.transcript(call)["injected"]] == ["c-1"]
        control.close()


async def test_the_injector_sends_the_emulator_what_the_sdk_sends() -> None:
    """For every id, the SDK's request and the injector's reach the emulator with the same raw
    segment (kept in the transcript) and get the same answer; none is refused as non-SDK."""
    with EmulatorThread(EmulatorOptions(api_key=KEY)) as served:
        control = EmulatorControl(served.url)
        injector = AddMessagesClient(
            base_url=served.base_url,
            api_key=SecretStr(KEY),
            sender=AiohttpSender(max_connections=4, timeout_s=30),
        )
        messages: list[Message] = [{"role": "system", "content": "x"}]
        async with telnyx.AsyncTelnyx(api_key=KEY, base_url=served.base_url, max_retries=0) as sdk:
            for n, call in enumerate(VALID.values()):
                control.start_call(call)
                await sdk.calls.actions.add_ai_assistant_messages(
                    call, messages=messages, command_id=f"sdk-{n}"
                )
                injection = make_injection(call, cause=f"injector-{n}")
                assert await injector.send(injection) == Reply(200)
                requests = control.transcript(call)["requests"]
                assert [(r["command_id"], r["applied"]) for r in requests] == [
                    (f"sdk-{n}", True),
                    (injection.injection_id, True),
                ]
                assert requests[0]["segment"] == requests[1]["segment"]
            for call in HOSTILE.values():
                # No call can have such an id; both requests must reach the call lookup.
                with pytest.raises(telnyx.NotFoundError) as theirs:
                    await sdk.calls.actions.add_ai_assistant_messages(call, messages=messages)
                assert isinstance(theirs.value.body, dict)
                code = theirs.value.body["errors"][0]["code"]
                ours = await injector.send(
                    make_injection().model_copy(update={"call_control_id": call})
                )
                assert ours == Reply(404, None, (code,))
        await injector.aclose()
        assert "path_refused" not in control.stats()
        control.close()
