"""The side-port probe server answers over real HTTP from its own thread."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter

from callstream.ops import Health, OpsServer


@pytest.fixture
def served() -> Iterator[tuple[Health, Counter, str]]:
    health = Health()
    registry = CollectorRegistry()
    counter = Counter("callstream_test_things", "things", registry=registry)
    server = OpsServer(host="127.0.0.1", port=0, health=health, registry=registry)
    server.start()
    try:
        yield health, counter, f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


def test_probes_and_metrics(served: tuple[Health, Counter, str]) -> None:
    """/readyz follows the checks, /healthz the heartbeat, /metrics the registry."""
    health, counter, base = served
    assert httpx.get(f"{base}/healthz").status_code == 200
    not_ready = httpx.get(f"{base}/readyz")
    assert not_ready.status_code == 503
    health.set("broker", True)
    assert httpx.get(f"{base}/readyz").json() == {
        "status": "ready",
        "checks": {"broker": {"ok": True, "detail": ""}},
    }
    counter.inc(3)
    assert "callstream_test_things_total 3.0" in httpx.get(f"{base}/metrics").text
    assert httpx.get(f"{base}/nope").status_code == 404
