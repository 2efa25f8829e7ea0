"""Running one streams worker process: checks, probes, the worker, a clean exit.

The entry point (``callstream streams``) configures logging and loads the
settings, then calls ``run_worker``: the broker must answer and every topic
the worker needs must exist, co-partitioned, before anything starts; then
``/healthz``, ``/readyz`` and ``/metrics`` are served while the worker runs
(``streams.runtime.worker``).
"""

from __future__ import annotations

import structlog
from prometheus_client import CollectorRegistry

from callstream.kafka import resolve_connection, wait_for_broker
from callstream.ops import Health, OpsServer
from callstream.settings import Settings
from callstream.tracing import start_tracing
from streams.metrics import StreamsMetrics
from streams.runtime.topology import check_topics
from streams.runtime.worker import StreamsWorker, group_id, install_signals

log = structlog.get_logger(__name__)


def run_worker(
    settings: Settings, *, worker_id: str | None = None, ops_port: int | None = None
) -> int:
    """Run until stopped; the process's exit status (0 after a clean stop)."""
    config = settings.config.streams
    conn = resolve_connection(settings)
    wait_for_broker(conn)
    layout = check_topics(conn, settings.topics)
    registry = CollectorRegistry()
    health = Health()
    ops = OpsServer(
        host=config.ops_host,
        port=config.ops_port if ops_port is None else ops_port,
        health=health,
        registry=registry,
    )
    ops.start()
    log.info(
        "streams_starting",
        group=group_id(settings),
        worker_id=worker_id,
        kafka=conn.describe(),
        partitions=layout.partitions,
        ops_port=ops.port,
    )
    try:
        worker = StreamsWorker(
            settings,
            conn=conn,
            partitions=layout.partitions,
            worker_id=worker_id,
            metrics=StreamsMetrics(registry),
            health=health,
            tracing=start_tracing(settings, "streams"),
        )
        install_signals(worker)
        code = worker.run()
        log.info("streams_stopped", exit_status=code)
        return code
    finally:
        ops.stop()
