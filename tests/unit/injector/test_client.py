"""The Add Messages client builds the exact request and turns every answer into a Result."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import telnyx
from pydantic import SecretStr

from callstream.records import Message
from injector.client import AddMessagesClient, HttpxSender, error_codes
from injector.policy import Failure, Reply
from tests.call_ids import HOSTILE, VALID
from tests.unit.injector.factories import make_injection

KEY = SecretStr("KEY-client-test-123456")


def client_for(handler: httpx.MockTransport) -> AddMessagesClient:
    sender = HttpxSender.pooled(max_connections=4, timeout_s=1.0, transport=handler)
    return AddMessagesClient(base_url="https://api.example/v2/", api_key=KEY, sender=sender)


async def test_request_has_path_headers_and_body_the_api_expects() -> None:
    """Path encodes the call id as one segment as the SDK does; bearer key; command_id is the
    injection id."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"result": "ok"}})

    # Validation keeps such ids out of records; encoding is the second wall, so bypass the first.
    injection = make_injection().model_copy(update={"call_control_id": "v3:abc/../x=+~"})
    result = await client_for(httpx.MockTransport(handler)).send(injection)
    assert result == Reply(200)
    [request] = seen
    assert request.url.raw_path == b"/v2/calls/v3:abc%2F..%2Fx=+~/actions/ai_assistant_add_messages"
    assert request.headers["authorization"] == "Bearer KEY-client-test-123456"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "messages": [{"role": "system", "content": "[ORDER] shipped"}],
        "command_id": injection.injection_id,
        "trigger_response": True,
    }


async def _sdk_request(call_control_id: str, **params: Any) -> httpx.Request:
    """The request the official SDK sends for this call id (captured, never on the network);
    ``params`` for ``add_ai_assistant_messages``, one system message by default."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"result": "ok"}})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with telnyx.AsyncTelnyx(
        api_key=KEY.get_secret_value(),
        base_url="https://api.example/v2/",
        http_client=http,
        max_retries=0,
    ) as sdk:
        await sdk.calls.actions.add_ai_assistant_messages(
            call_control_id, **({"messages": [{"role": "system", "content": "x"}]} | params)
        )
    [request] = seen
    return request


EVERY_ID = VALID | HOSTILE


@pytest.mark.parametrize("call_control_id", EVERY_ID.values(), ids=EVERY_ID.keys())
async def test_the_request_line_is_the_sdks(call_control_id: str) -> None:
    """Method, host and raw path are the official SDK's, byte for byte, for every id."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"result": "ok"}})

    # Hostile ids never reach a record (callstream.ids); bypass that wall to test this one.
    injection = make_injection().model_copy(update={"call_control_id": call_control_id})
    assert await client_for(httpx.MockTransport(handler)).send(injection) == Reply(200)
    [ours] = seen
    theirs = await _sdk_request(call_control_id)
    assert (ours.method, ours.url.host, ours.url.raw_path) == (
        theirs.method,
        theirs.url.host,
        theirs.url.raw_path,
    )


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(200, json={"data": {"result": "ok"}}), Reply(200)),
        (
            httpx.Response(422, json={"errors": [{"code": "90018", "title": "ended"}]}),
            Reply(422, None, ("90018",)),
        ),
        (httpx.Response(404, json={"errors": [{"code": "10005"}]}), Reply(404, None, ("10005",))),
        (httpx.Response(429, headers={"Retry-After": "3"}), Reply(429, "3", ())),
        (httpx.Response(503, text="<html>bad gateway</html>"), Reply(503, None, ())),
    ],
)
async def test_every_status_is_a_reply(response: httpx.Response, expected: Reply) -> None:
    """Statuses become Replies carrying Retry-After and the error codes; no exception escapes."""
    result = await client_for(httpx.MockTransport(lambda _: response)).send(make_injection())
    assert result == expected


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (httpx.ReadTimeout("slow"), "timeout"),
        (httpx.ConnectTimeout("slow"), "timeout"),
        (httpx.ConnectError("refused"), "connection"),
        (httpx.RemoteProtocolError("eof"), "connection"),
    ],
)
async def test_no_reply_is_a_failure_of_its_kind(error: Exception, kind: str) -> None:
    """Timeouts and connection errors become Failures, never exceptions."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    result = await client_for(httpx.MockTransport(handler)).send(make_injection())
    assert isinstance(result, Failure)
    assert result.kind == kind


def test_the_key_stays_out_of_the_repr() -> None:
    """Printing the client (in a log or a traceback) never shows the key."""
    assert "KEY-client" not in repr(client_for(httpx.MockTransport(lambda _: httpx.Response(200))))


@pytest.mark.parametrize(
    ("body", "codes"),
    [
        (b'{"errors":[{"code":"90018"},{"code":10015}]}', ("90018", "10015")),
        (b'{"errors":"nope"}', ()),
        (b"[1,2]", ()),
        (b"not json", ()),
        (b"", ()),
    ],
)
def test_error_codes_are_read_leniently(body: bytes, codes: tuple[str, ...]) -> None:
    """Whatever an error body holds, the codes are found or the result is empty."""
    assert error_codes(body) == codes


async def test_the_body_is_the_one_the_sdk_sends_tool_messages_included() -> None:
    """messages (a tool message with its tool_call_id), command_id and trigger_response are
    shaped exactly as the official SDK shapes them."""
    messages = [
        Message(role="system", content="[ORDER] shipped"),
        Message(role="tool", content='{"ok": true}', tool_call_id="call_42"),
    ]
    injection = make_injection(messages=messages, trigger_response=False)
    sdk_request = await _sdk_request(
        injection.call_control_id,
        messages=[
            {"role": "system", "content": "[ORDER] shipped"},
            {"role": "tool", "content": '{"ok": true}', "tool_call_id": "call_42"},
        ],
        command_id=injection.injection_id,
        trigger_response=False,
    )
    assert json.loads(AddMessagesClient.body_for(injection)) == json.loads(sdk_request.content)


def test_a_tool_message_without_its_tool_call_id_is_not_a_message() -> None:
    """The remote requires tool_call_id on a tool message, so no record can lack it."""
    with pytest.raises(ValueError, match="tool_call_id"):
        Message(role="tool", content="x")
    with pytest.raises(ValueError, match="only a message with role 'tool'"):
        Message(role="system", content="x", tool_call_id="c")
