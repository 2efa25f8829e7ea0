"""The follow-up SMS: the SDK's request for ``messages.send``, and how each answer settles."""

from __future__ import annotations

import json

import httpx
import pytest
import telnyx
from pydantic import SecretStr

from callstream.records import Followup, Message, Sms
from injector.client import HttpxSender
from injector.policy import Done, Final, Halt, Reply, RetryAfter
from injector.sms import MessagingClient
from injector.texter import Settled, settle
from streams.testing import at

KEY = SecretStr("KEY-sms-test-123456")


def followup(text: str = "About your call:\n<<<DATA\nstatus: SHIPPED\nDATA>>>") -> Followup:
    return Followup(
        followup_id="fu-1",
        call_control_id="v3:call-1",
        source="tool",
        cause_ids=["r-1"],
        sources=["tool"],
        event_types=["lookup_order_status"],
        reasons=["call_ended"],
        reason="call_ended",
        messages=[Message(role="system", content="x")],
        facts=[{}],
        created_at=at(0),
        sms=Sms(from_="+15550001111", to="+15551230000", text=text),
    )


def capture() -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"id": "m-1"}})

    return seen, httpx.MockTransport(handler)


async def test_the_request_is_the_sdks_messages_send() -> None:
    """Method, path, body and the Idempotency-Key header match ``client.messages.send``."""
    seen, transport = capture()
    sender = HttpxSender.pooled(max_connections=2, timeout_s=1.0, transport=transport)
    client = MessagingClient(base_url="https://api.example/v2/", api_key=KEY, sender=sender)
    record = followup("Ünïcode ✓ text")
    assert await client.send(record) == Reply(200)
    theirs, sdk_transport = capture()
    async with telnyx.AsyncTelnyx(
        api_key=KEY.get_secret_value(),
        base_url="https://api.example/v2/",
        http_client=httpx.AsyncClient(transport=sdk_transport),
        max_retries=0,
    ) as sdk:
        assert record.sms is not None
        await sdk.messages.send(
            to=record.sms.to,
            from_=record.sms.from_,
            text=record.sms.text,
            idempotency_key=record.followup_id,
        )
    [ours], [sdks] = seen, theirs
    assert (
        (ours.method, ours.url.raw_path)
        == (sdks.method, sdks.url.raw_path)
        == (
            "POST",
            b"/v2/messages",
        )
    )
    assert json.loads(ours.content) == json.loads(sdks.content)
    assert ours.headers["idempotency-key"] == sdks.headers["idempotency-key"] == "fu-1"
    assert ours.headers["authorization"] == sdks.headers["authorization"]
    assert "KEY-sms" not in repr(client)


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (Done(200), Settled("sms_sent", "")),
        (Final("call_ended", "404"), Settled("sms_rejected", "404")),
        (Final("rejected", "400"), Settled("sms_rejected", "400")),
        (Final("failed", "gave up"), Settled("sms_failed", "gave up")),
        (Final("expired", "too late"), Settled("sms_failed", "too late")),
        (RetryAfter(1.0, "503"), None),
        (Halt("401"), Halt("401")),
    ],
)
def test_each_decision_settles_an_sms(decision: object, expected: object) -> None:
    """The messaging API has no call to be over: a 404 or 422 is a refusal."""
    assert settle(decision) == expected  # type: ignore[arg-type]
