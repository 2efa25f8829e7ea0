"""The Add Messages client builds the exact request and turns every answer into a Result."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import SecretStr

from injector.client import AddMessagesClient, HttpxSender, error_codes
from injector.policy import Failure, Reply
from tests.unit.injector.factories import make_injection

KEY = SecretStr("KEY-client-test-123456")


def client_for(handler: httpx.MockTransport) -> AddMessagesClient:
    sender = HttpxSender.pooled(max_connections=4, timeout_s=1.0, transport=handler)
    return AddMessagesClient(base_url="https://api.example/v2/", api_key=KEY, sender=sender)


async def test_request_has_path_headers_and_body_the_api_expects() -> None:
    """Path encodes the call id as one segment; bearer key; command_id is the injection id."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"result": "ok"}})

    # Validation keeps such ids out of records; encoding is the second wall, so bypass the first.
    injection = make_injection().model_copy(update={"call_control_id": "v3:abc/../x=+~"})
    result = await client_for(httpx.MockTransport(handler)).send(injection)
    assert result == Reply(200)
    [request] = seen
    assert request.url.raw_path == (
        b"/v2/calls/v3%3Aabc%2F..%2Fx%3D%2B~/actions/ai_assistant_add_messages"
    )
    assert request.headers["authorization"] == "Bearer KEY-client-test-123456"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "messages": [{"role": "system", "content": "[ORDER] shipped"}],
        "command_id": injection.injection_id,
        "trigger_response": True,
    }


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
