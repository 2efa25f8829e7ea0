"""Running one streams worker process: checks, probes, the faust worker, a clean exit.

The entry point (``callstream streams``) configures logging and loads the
settings, then calls ``run_worker``. faust's ``Worker`` is told not to touch
logging (callstream's JSON logging is already on the root logger, so faust's
and aiokafka's lines come out in the same format) and not to print its
banner or spinner. SIGTERM and SIGINT stop it cleanly: in-flight batches
finish, offsets are committed, the consumer leaves its group.

Each worker gets its own faust data dir (``--data-dir``, or a fresh temporary
one removed at exit), so two workers on one machine never share one.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import faust
import structlog
from prometheus_client import CollectorRegistry

from callstream.kafka import resolve_connection, wait_for_broker
from callstream.ops import Health, OpsServer
from callstream.settings import Settings
from streams.app import app_id, create_faust_app
from streams.kafka import check_topics
from streams.metrics import StreamsMetrics

log = structlog.get_logger(__name__)


def run_worker(
    settings: Settings, *, data_dir: Path | None = None, ops_port: int | None = None
) -> int:
    """Run until stopped; the process's exit status (0 after a clean stop)."""
    config = settings.config.streams
    conn = resolve_connection(settings)
    wait_for_broker(conn)
    layout = check_topics(conn, settings.topics)
    own_dir = data_dir is None
    workdir = Path(tempfile.mkdtemp(prefix="callstream-streams-")) if own_dir else data_dir
    assert workdir is not None
    workdir.mkdir(parents=True, exist_ok=True)
    registry = CollectorRegistry()
    health = Health()
    health.set("joining", False, "starting: joining the group and recovering tables")
    ops = OpsServer(
        host=config.ops_host,
        port=config.ops_port if ops_port is None else ops_port,
        health=health,
        registry=registry,
    )
    ops.start()
    log.info(
        "streams.starting",
        app_id=app_id(settings),
        kafka=conn.describe(),
        partitions=layout.partitions,
        data_dir=str(workdir),
        ops_port=ops.port,
    )
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        streams_app = create_faust_app(
            settings,
            conn=conn,
            partitions=layout.partitions,
            data_dir=workdir,
            metrics=StreamsMetrics(registry),
            health=health,
        )
        worker = faust.Worker(
            streams_app.app,
            loop=loop,
            quiet=True,
            override_logging=False,
            redirect_stdouts=False,
            loglevel=settings.env.callstream_log_level,
        )
        worker.spinner = None
        return _execute(worker)
    finally:
        ops.stop()
        if own_dir:
            shutil.rmtree(workdir, ignore_errors=True)


def _execute(worker: faust.Worker) -> int:
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
        log.info("streams.stopped", exit_status=code)
        return code
    except Exception:  # the app crashed (an agent failed); faust re-raises the reason here
        log.exception("streams.crashed")
        return 1
