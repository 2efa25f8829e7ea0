"""Admission control: requests past the in-progress limit are shed with 503, probes never are."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client import CollectorRegistry

from ingress.admission import admit
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


@pytest.mark.parametrize(
    ("in_progress", "limit", "path", "admitted"),
    [
        (0, 1, "/tools/t", True),
        (1, 2, "/tools/t", True),
        (2, 2, "/tools/t", False),
        (5, 2, "/calls/v3:c/messages", False),
        (5, 2, "/healthz", True),
        (5, 2, "/readyz", True),
        (5, 2, "/metrics", True),
    ],
)
def test_admission_decision(in_progress: int, limit: int, path: str, admitted: bool) -> None:
    """Below the limit a request starts; at it only the probes and metrics do."""
    assert admit(in_progress, limit, path) is admitted


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


async def test_a_request_past_the_limit_is_shed_and_publishes_nothing() -> None:
    """Two requests held by a silent broker fill a limit of 2: the third is 503 overloaded."""
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
    assert metrics_page.status_code == 200, "metrics are served while the limit is reached"
    assert sample("callstream_ingress_shed_requests_total") == 1
    assert [r.status_code for r in first_two] == [202, 202]
    assert admitted.status_code == 202, "the slots are free again once the held requests end"
    assert len(publisher.records) == 3, "the shed request was never published"
