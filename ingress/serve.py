"""Running the ingress under uvicorn: the per-worker app factory and the server itself.

``app_from_environment`` is the entry point of every worker process: it reads
the settings, configures logging and builds the Kafka publisher there, so
``--workers N`` gives N independent processes sharing one listening socket.
``serve`` binds that socket first, so the address it announces is the one it
listens on (``--port 0`` picks a free one).
"""

from __future__ import annotations

import gc
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from uvicorn.supervisors import Multiprocess

from callstream.kafka import resolve_connection
from callstream.settings import Settings
from callstream.startup import start_service
from callstream.tracing import start_tracing
from ingress.app import create_app
from ingress.kafka_publisher import KafkaPublisher, ingress_producer_config
from ingress.metrics import IngressMetrics

APP_FACTORY = "ingress.serve:app_from_environment"


def build_app(settings: Settings) -> FastAPI:
    """The production app for ``settings``: a Kafka publisher on the configured cluster."""
    conn = resolve_connection(settings)
    metrics = IngressMetrics.create(CollectorRegistry())
    publisher = KafkaPublisher(
        ingress_producer_config(conn, settings.config.ingress),
        on_late_ack=metrics.late_acks.inc,
    )
    tracing = start_tracing(settings, "ingress")
    return create_app(settings, publisher, metrics=metrics, tracing=tracing)


def app_from_environment() -> FastAPI:
    """uvicorn's app factory: one worker's settings, logging and app (its entry point)."""
    settings = start_service("ingress")
    app = build_app(settings)
    # Everything imported and built so far lives as long as the process. Freezing it
    # keeps the cyclic collector from rescanning it: measured (bench/ingress), full
    # collections of this heap paused the event loop for up to ~130 ms under load.
    gc.freeze()
    return app


def serve(*, host: str, port: int, workers: int, announce: Callable[[str], None]) -> None:
    """Listen on ``host:port`` with ``workers`` processes until interrupted."""
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,  # callstream.logs already routes uvicorn's loggers
        access_log=False,  # the routes log each accepted request with its ids
        server_header=False,
        timeout_graceful_shutdown=30,
        # The supervisor pings each worker and kills one that does not answer in time,
        # starting from its spawn; uvicorn's 5 s kill-and-respawn loops on a loaded host.
        timeout_worker_healthcheck=30,
    )
    sock = config.bind_socket()
    # Listening now means a request sent after the announcement waits in the backlog
    # while the workers start, rather than being refused.
    sock.listen(config.backlog)
    bound_host, bound_port = sock.getsockname()[:2]
    announce(
        f"callstream ingress listening on http://{bound_host}:{bound_port} "
        f"({workers} worker{'s' if workers > 1 else ''}; API docs at /docs)"
    )
    if workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
