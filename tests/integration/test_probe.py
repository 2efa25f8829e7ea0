"""The container health probe against a real HTTP server."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from callstream.ops import Health, OpsServer
from callstream.ops.probe import main


def test_probe_follows_the_endpoint() -> None:
    """0 while /readyz answers 200, 1 while it answers 503 or nothing listens."""
    health = Health()
    server = OpsServer(host="127.0.0.1", port=0, health=health, registry=CollectorRegistry())
    server.start()
    try:
        port = str(server.port)
        assert main(["/healthz", "--port", port]) == 0
        assert main(["/readyz", "--port", port]) == 1
        health.set("broker", True)
        assert main(["/readyz", "--port", port]) == 0
    finally:
        server.stop()
    assert main(["/healthz", "--port", port, "--timeout", "0.5"]) == 1
