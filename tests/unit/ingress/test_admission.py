"""Admission control: shed by the wait requests meet, within hard bounds; probes never shed."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import Awaitable, Callable

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter
from starlette.types import Message, Receive, Scope, Send

from ingress.admission import (
    ADMIT,
    AdmissionMiddleware,
    Admit,
    Limits,
    Load,
    Shed,
    decide,
    declared_body_bytes,
)
from ingress.app import create_app
from ingress.metrics import IngressMetrics
from ingress.publisher import Headers
from ingress.testing import MemoryPublisher
from tests.ingress_support import make_settings

TOKEN = "admission-token"
HEADERS = {
    "authorization": f"Bearer {TOKEN}",
    "content-type": "application/json",
    "x-telnyx-call-control-id": "v3:admission",
}
MIB = 1024 * 1024
LIMITS = Limits(
    max_queue_wait_s=1.0, max_in_flight_requests=4096, max_in_flight_body_bytes=64 * MIB
)


@pytest.mark.parametrize(
    ("body", "load", "expected"),
    [
        (100, Load(0, 0, 0.0), ADMIT),
        (100, Load(2000, 200_000, 0.9), ADMIT),  # a burst the process is keeping up with
        (100, Load(10, 1000, 1.0), ADMIT),  # at the budget, not over it
        (100, Load(10, 1000, 1.01), "wait"),
        (100, Load(1, 100, 30.0), "wait"),  # one request stuck (a silent broker) is enough
        (100, Load(4095, 0, 0.0), ADMIT),
        (100, Load(4096, 0, 0.0), "requests"),
        (4 * MIB, Load(10, 60 * MIB, 0.0), ADMIT),  # exactly the byte bound
        (4 * MIB + 1, Load(10, 60 * MIB, 0.0), "bytes"),
        (100, Load(4096, 64 * MIB, 5.0), "wait"),  # the wait is reported first
    ],
)
def test_admission_decision(body: int, load: Load, expected: Admit | str) -> None:
    """Admitted while the oldest waiting request is within the budget and the bounds hold."""
    decision = decide(body, load, LIMITS)
    if isinstance(expected, Admit):
        assert decision == ADMIT
    else:
        assert isinstance(decision, Shed)
        assert decision.reason == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([(b"content-length", b"120")], 120),
        ([(b"content-length", b"99999999999")], 1000),  # refused before it is read
        ([(b"content-length", b"12x")], 1000),  # the parser refuses it; count the worst
        ([(b"transfer-encoding", b"chunked")], 1000),
        ([(b"host", b"x")], 0),  # no length and not chunked: no body
    ],
)
def test_a_body_counts_what_it_may_hold(headers: list[tuple[bytes, bytes]], expected: int) -> None:
    """Content-Length up to the largest body limit; the limit itself when the size is unknown."""
    assert declared_body_bytes({"headers": headers}, 1000) == expected


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Held:
    """An ASGI app that reads the whole body, then answers only once released."""

    def __init__(self) -> None:
        self.reading = 0
        self.read = 0
        self.release = asyncio.Event()
        self._changed = asyncio.Condition()

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait until ``condition`` holds (re-checked whenever a request gets further)."""
        async with asyncio.timeout(10), self._changed:
            await self._changed.wait_for(condition)

    async def _step(self, counter: str) -> None:
        setattr(self, counter, getattr(self, counter) + 1)
        async with self._changed:
            self._changed.notify_all()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._step("reading")
        while (await receive()).get("more_body"):
            pass
        await self._step("read")
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _scope(path: str = "/tools/t") -> Scope:
    return {"type": "http", "method": "POST", "path": path, "headers": [(b"content-length", b"2")]}


async def _request(
    app: Callable[[Scope, Receive, Send], Awaitable[None]],
    path: str = "/tools/t",
    *,
    body: list[Message] | None = None,
) -> list[Message]:
    """Drive ``app`` with one request (by default a whole 2-byte body); what it sent back."""
    incoming = list(body or [{"type": "http.request", "body": b"{}", "more_body": False}])
    stalled = asyncio.Event()  # a client that stops sending mid-body never sends more
    sent: list[Message] = []

    async def receive() -> Message:
        if incoming:
            return incoming.pop(0)
        await stalled.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(_scope(path), receive, send)
    return sent


def _middleware(app: Held, clock: Clock, **limits: float) -> AdmissionMiddleware:
    small = Limits(max_queue_wait_s=1.0, max_in_flight_requests=10, max_in_flight_body_bytes=1000)
    return AdmissionMiddleware(
        app,
        limits=dataclasses.replace(small, **limits),
        largest_body=1000,
        retry_after_s=3,
        shed=Counter("shed", "shed", registry=CollectorRegistry()),
        clock=clock,
    )


async def test_a_request_meeting_a_wait_over_budget_is_shed_and_probes_still_pass() -> None:
    """Two requests held 1.5 s: the next is 503 overloaded with Retry-After, naming the wait;
    probes are served; once the held ones finish, requests are admitted again."""
    app, clock = Held(), Clock()
    middleware = _middleware(app, clock)
    held = [asyncio.create_task(_request(middleware)) for _ in range(2)]
    await app.until(lambda: app.read == 2)
    clock.now += 1.5

    [start, body] = await _request(middleware)
    assert start["status"] == 503
    assert (b"retry-after", b"3") in start["headers"]
    refused = json.loads(body["body"])
    assert refused["error"] == "overloaded"
    assert "waiting 1.5 s, over the 1 s budget" in refused["detail"]
    assert app.reading == 2, "the shed request never reached the app"

    probe = asyncio.create_task(_request(middleware, "/healthz"))
    await app.until(lambda: app.reading == 3)
    app.release.set()
    assert (await probe)[0]["status"] == 200
    assert [(await h)[0]["status"] for h in held] == [200, 200]
    assert (await _request(middleware))[0]["status"] == 200
    assert middleware.load() == Load(0, 0, 0.0)


async def test_a_slow_upload_is_not_a_wait() -> None:
    """A client still sending its body for 10 s does not make the others look late."""
    app, clock = Held(), Clock()
    middleware = _middleware(app, clock)
    partial: list[Message] = [{"type": "http.request", "body": b"{", "more_body": True}]
    slow = asyncio.create_task(_request(middleware, body=partial))
    await app.until(lambda: app.reading == 1)
    clock.now += 10
    other = asyncio.create_task(_request(middleware))
    await app.until(lambda: app.read == 1)
    assert middleware.load() == Load(2, 4, 0.0)
    app.release.set()
    assert (await other)[0]["status"] == 200
    slow.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await slow
    assert middleware.load() == Load(0, 0, 0.0), "a request that ends abruptly is let go"


@pytest.mark.parametrize(
    ("limits", "detail"),
    [
        ({"max_in_flight_requests": 2}, "2 requests in progress"),
        ({"max_in_flight_body_bytes": 4}, "would pass 4 bytes"),
    ],
)
async def test_the_hard_bounds_shed_whatever_the_wait(
    limits: dict[str, float], detail: str
) -> None:
    """With no wait at all, the count and the bytes in progress are still bounded."""
    app, clock = Held(), Clock()
    middleware = _middleware(app, clock, **limits)
    held = [asyncio.create_task(_request(middleware)) for _ in range(2)]
    await app.until(lambda: app.read == 2)
    [start, body] = await _request(middleware)
    assert start["status"] == 503
    assert detail in json.loads(body["body"])["detail"]
    app.release.set()
    await asyncio.gather(*held)


class HeldPublisher(MemoryPublisher):
    """Holds every publish until released; says when ``expected`` publishes are waiting."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.expected = expected
        self.waiting = 0
        self.all_waiting = asyncio.Event()
        self.release = asyncio.Event()

    async def publish(self, topic: str, key: bytes, value: bytes, headers: Headers = ()) -> None:
        self.waiting += 1
        if self.waiting >= self.expected:
            self.all_waiting.set()
        await self.release.wait()
        await super().publish(topic, key, value, headers)


async def test_the_app_sheds_past_its_configured_bound_and_publishes_nothing() -> None:
    """Through the whole app: a third request past a bound of 2 is 503 overloaded, counted,
    never published; metrics are served meanwhile."""
    publisher = HeldPublisher(expected=2)
    settings = make_settings(
        ingress_token=TOKEN,
        config={"ingress": {"max_in_flight_requests": 2, "ack_timeout_s": 30, "retry_after_s": 4}},
    )
    metrics = IngressMetrics.create(CollectorRegistry())

    def sample(name: str) -> float:
        return metrics.registry.get_sample_value(name) or 0.0

    app = create_app(settings, publisher, metrics=metrics)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://ingress") as client,
    ):
        held = [
            asyncio.create_task(client.post("/tools/t", content=b"{}", headers=HEADERS))
            for _ in range(2)
        ]
        async with asyncio.timeout(30):
            await publisher.all_waiting.wait()

        shed = await client.post("/tools/t", content=b"{}", headers=HEADERS)
        metrics_page = await client.get("/metrics")

        publisher.release.set()
        first_two = await asyncio.gather(*held)
        admitted = await client.post("/tools/t", content=b"{}", headers=HEADERS)

    assert (shed.status_code, shed.json()["error"]) == (503, "overloaded")
    assert shed.headers["retry-after"] == "4"
    assert metrics_page.status_code == 200, "metrics are served while the bound is reached"
    assert sample("callstream_ingress_shed_requests_total") == 1
    assert [r.status_code for r in first_two] == [202, 202]
    assert admitted.status_code == 202, "the slots are free again once the held requests end"
    assert len(publisher.records) == 3, "the shed request was never published"
