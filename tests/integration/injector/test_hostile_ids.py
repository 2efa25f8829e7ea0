"""The remote never sees another path, whatever a call control id holds, and sees the SDK's bytes.

Validation keeps hostile ids out of every record (``callstream.ids``); this is
the second wall. The production sender (aiohttp) posts to a real HTTP server
that records the raw request target, for ids built to escape their path
segment (``tests.call_ids``: slashes, dot-dots, encoded slashes, CR/LF, query
and fragment marks, look-alike slashes, 10 KB ids): the segment it sends is
the official SDK's encoding of the id, byte for byte.
"""

from __future__ import annotations

import asyncio
from urllib.parse import unquote

import pytest
from pydantic import SecretStr
from starlette.types import Receive, Scope, Send
from telnyx._utils._path import _quote_path_segment_part

from callstream.testing.http import serve_in_thread
from injector.client import AddMessagesClient, AiohttpSender
from injector.policy import Reply
from tests.call_ids import HOSTILE, VALID
from tests.unit.injector.factories import make_injection


class _Recorder:
    """An ASGI app that answers 200 and remembers each request's raw path."""

    def __init__(self) -> None:
        self.raw_paths: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        self.raw_paths.append(scope["raw_path"])
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


EVERY_ID = VALID | HOSTILE


@pytest.mark.parametrize("call_control_id", EVERY_ID.values(), ids=EVERY_ID.keys())
def test_an_id_stays_one_path_segment_as_the_sdk_encodes_it(call_control_id: str) -> None:
    """The server sees /v2/calls/<one segment>/actions/…: the SDK's segment, decoding to the id."""
    recorder = _Recorder()
    injection = make_injection().model_copy(update={"call_control_id": call_control_id})

    async def send() -> object:
        sender = AiohttpSender(max_connections=1, timeout_s=30)
        client = AddMessagesClient(base_url=f"{url}/v2", api_key=SecretStr("k"), sender=sender)
        try:
            return await client.send(injection)
        finally:
            await client.aclose()

    with serve_in_thread(recorder, lifespan="off") as url:
        assert asyncio.run(send()) == Reply(200)
    [raw] = recorder.raw_paths
    parts = raw.split(b"/")
    assert parts[:3] == [b"", b"v2", b"calls"]
    assert parts[4:] == [b"actions", b"ai_assistant_add_messages"]
    assert parts[3].decode("ascii") == _quote_path_segment_part(call_control_id)
    assert unquote(parts[3].decode("ascii"), errors="strict") == call_control_id
