"""The official telnyx SDK against the emulator served over real HTTP on loopback."""

from __future__ import annotations

import pytest
import telnyx

from callstream.emulator import EmulatorControl, EmulatorOptions, EmulatorThread

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
