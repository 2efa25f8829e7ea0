"""The application's own cost per tool call: the ASGI app called in process, no sockets, no Kafka.

What is left of a request's CPU once uvicorn, the network and librdkafka
are taken away: routing, dependencies, validation, the record, the log line,
the response. The publisher is in memory and acknowledges at once; log lines
are rendered as in production and written to /dev/null.

Run as ``python -m bench.ingress.inprocess --log-level INFO``; prints JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import sys
import time
from typing import Any

import uvloop
from prometheus_client import CollectorRegistry

from callstream.config import AppConfig
from callstream.logs import configure_logging
from callstream.settings import Environment, Settings
from ingress.app import create_app
from ingress.metrics import IngressMetrics
from ingress.testing import MemoryPublisher

TOKEN = "bench-token-0123456789"  # noqa: S105 - a throw-away token, never on a network
BODY = b'{"order_id": "ORD-12345", "customer": "C-42"}'


def _scope() -> dict[str, Any]:
    headers = [
        (b"host", b"ingress"),
        (b"authorization", f"Bearer {TOKEN}".encode()),
        (b"x-telnyx-call-control-id", b"v3:bench-call-0001"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/tools/lookup_order_status",
        "raw_path": b"/tools/lookup_order_status",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }


async def measure(requests: int) -> float:
    """Microseconds per accepted tool call, best of three passes."""
    settings = Settings(
        env=Environment(kafka_bootstrap_servers="127.0.0.1:9", callstream_ingress_token=TOKEN),
        config=AppConfig(),
    )
    publisher = MemoryPublisher()
    app = create_app(settings, publisher, metrics=IngressMetrics.create(CollectorRegistry()))
    statuses: set[int] = set()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    best = float("inf")
    async with app.router.lifespan_context(app):
        for _ in range(500):
            await app(_scope(), receive, send)
        gc.freeze()
        for _ in range(3):
            started = time.perf_counter()
            for _ in range(requests):
                await app(_scope(), receive, send)
            best = min(best, (time.perf_counter() - started) / requests)
            publisher.records.clear()
    if statuses != {202}:
        raise RuntimeError(f"expected only 202s, got {statuses}")
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()
    configure_logging(level=args.log_level, service="ingress")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    with open("/dev/null", "w") as sink:
        handler.setStream(sink)
        micros = uvloop.run(measure(args.requests))
    json.dump({"log_level": args.log_level, "us_per_request": round(micros, 1)}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
