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
import json
from urllib.parse import unquote

import pytest
from pydantic import SecretStr
from starlette.types import Receive, Scope, Send
from telnyx._utils._path import _quote_path_segment_part

from callstream.kafka import KafkaConnection
from callstream.records import DeadLetter, encode
from callstream.topics import Topics
from devkit.emulator import EmulatorControl, EmulatorThread
from devkit.testing.http import serve_in_thread
from devkit.testing.kafka import produce
from injector.client import AddMessagesClient, AiohttpSender
from injector.policy import Reply
from tests.call_ids import HOSTILE, VALID
from tests.integration.injector.conftest import API_KEY
from tests.integration.injector.harness import (
    dead_letters,
    deliveries,
    injection,
    injector_in_thread,
    produce_injections,
    settings_for,
)
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


def test_an_injection_naming_a_refused_id_is_dead_lettered_schema_never_sent(
    kafka_conn: KafkaConnection,
    topics: Topics,
    emulator: EmulatorThread,
    control: EmulatorControl,
) -> None:
    """Records written to ``injections`` without passing the ingress meet the ingress's rule:
    each refused id is dead-lettered ``schema`` with its original bytes; no request is made."""
    live = control.start_call()
    refused = HOSTILE | {"dot": ".", "dot-dot": ".."}
    poison = []
    for n, call_control_id in enumerate(refused.values()):
        record = json.loads(encode(injection(live, n)))
        poison.append(json.dumps(record | {"call_control_id": call_control_id}).encode())
    produce(kafka_conn, topics.injections, [(live.encode(), value) for value in poison])
    sentinel = injection(live, len(poison))
    produce_injections(kafka_conn, topics, [sentinel])
    requests_before = control.stats().get("requests", 0)

    settings = settings_for(kafka_conn, topics, base_url=emulator.base_url, api_key=API_KEY)
    with injector_in_thread(settings):
        [delivered] = deliveries(kafka_conn, topics, expect=1)
        letters = dead_letters(kafka_conn, topics, expect=len(poison))

    assert (delivered.injection_id, delivered.outcome) == (sentinel.injection_id, "delivered")
    assert sorted(r.value for r in letters) == sorted(poison), "the original bytes, unchanged"
    assert {DeadLetter.from_headers(r.headers).reason for r in letters} == {"schema"}
    assert control.stats()["requests"] - requests_before == 1, "only the valid one was sent"
    assert [e["command_id"] for e in control.transcript(live)["injected"]] == [
        sentinel.injection_id
    ]
