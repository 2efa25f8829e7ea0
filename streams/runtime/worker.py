"""One streams worker process: the join, the sources loop and the tool runner, until stopped.

Three consumers in the worker's consumer group (``{prefix}streams``), each on a
thread of its own with its own producer, so one never waits on another's
acknowledgements:

* ``streams-join`` — ``JoinLoop`` over the co-partitioned topics (stateful);
* ``streams-sources`` — ``SourcesLoop`` over the enterprise topics (when any
  are configured);
* ``streams-tool-runner`` — an asyncio loop running ``ToolRuns``.

Given a worker id (``--worker-id``, stable across restarts of the same
worker, unique among live ones), each consumer joins with static membership
(``group.instance.id``): a worker restarted within ``session_timeout_s``
takes its own partitions back without a rebalance. Without one, membership
is dynamic and a restart is a rebalance.

SIGTERM or SIGINT stops it cleanly (exit 0): each loop finishes its batch,
everything produced is acknowledged, offsets are committed, consumers close.
A loop that fails stops the others and the process exits 1, so whatever
supervises it restarts it; nothing is committed past the failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

import structlog
from confluent_kafka import Consumer, Producer

from callstream.kafka import KafkaConnection, consumer_config, producer_config
from callstream.kafka.acked import AckedProducer
from callstream.kafka.consumer_thread import ConsumerThread
from callstream.ops import Health
from callstream.settings import Settings
from callstream.tracing import Tracing
from streams.batch import BatchDecider
from streams.decide.rules import Rules
from streams.metrics import StreamsMetrics
from streams.runtime.accounting import Accounting
from streams.runtime.checkpoint import (
    Checkpoint,
    Checkpointing,
    TransactionalCheckpoint,
    consumer_commit,
)
from streams.runtime.join import JoinLoop
from streams.runtime.restore import Restorer
from streams.runtime.sources import SourcesLoop
from streams.runtime.toolruns import ToolRuns
from streams.schemas.registry import source_decoders
from streams.state.deadlines import Deadlines
from streams.toolrunner.http import AiohttpBackendClient, BackendClient
from streams.toolrunner.runner import ToolRunner
from streams.wire import Wire

log = structlog.get_logger(__name__)

STATE_LINGER_S = 0.05
"""How long the changelog producer gathers records: nothing waits on them but the commit."""
POLL_S = 0.1
"""Longest a loop waits for a record; it returns as soon as one is in."""
FLUSH_TIMEOUT_S = 30.0
"""Longest a batch waits for Kafka to acknowledge its outputs before the worker stops."""
RESTORE_TIMEOUT_S = 300.0
STOP_GRACE_S = 30.0


def group_id(settings: Settings) -> str:
    """The worker's consumer group (faust's app id before it, so committed offsets carry over)."""
    return f"{settings.topics.prefix}streams"


@dataclass
class _Failure:
    detail: str | None = None


class StreamsWorker:
    """The worker's parts, built from ``Settings``; ``run`` blocks until stopped."""

    def __init__(
        self,
        settings: Settings,
        *,
        conn: KafkaConnection,
        partitions: int,
        worker_id: str | None,
        metrics: StreamsMetrics,
        health: Health,
        backends: BackendClient | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self._settings = settings
        self._conn = conn
        self._partitions = partitions
        self._worker_id = worker_id
        self._metrics = metrics
        self._health = health
        self._backends = backends
        self._tracing = tracing
        self._config = settings.config.streams
        self._rules = Rules.from_config(settings.config)
        self._accounting = Accounting(metrics)
        # Built here, not in the loop's thread: a bad registry setting stops the start (exit 2).
        self._decoders = source_decoders(settings.config.sources, settings.registry_auth)
        self._stop = threading.Event()
        self._failure = _Failure()

    # -- Kafka clients ------------------------------------------------------------

    def _consumer(self, role: str, overrides: dict[str, Any] | None = None) -> Consumer:
        session_ms = int(self._config.session_timeout_s * 1000)
        settings: dict[str, Any] = {
            "session.timeout.ms": session_ms,
            "heartbeat.interval.ms": min(1000, session_ms // 3),
            "enable.partition.eof": False,
        }
        if self._worker_id:
            member = self._worker_id if role == "join" else f"{self._worker_id}.{role}"
            settings["group.instance.id"] = member
        settings.update(overrides or {})
        return Consumer(
            consumer_config(
                self._conn, f"callstream-streams-{role}", group_id(self._settings), settings
            )
        )

    def _producer(self, role: str, overrides: dict[str, Any] | None = None) -> Producer:
        settings: dict[str, Any] = {"linger.ms": self._config.producer_linger_s * 1000}
        settings.update(overrides or {})
        return Producer(producer_config(self._conn, f"callstream-streams-{role}", settings))

    def _checkpoint(self, role: str, consumer: Consumer, *, state: bool = False) -> Checkpointing:
        """The checkpoint ``streams.processing_guarantee`` names, for the loop ``role``
        (with a changelog producer of its own when the loop writes ``state``)."""
        if self._config.processing_guarantee == "exactly_once":
            # Fencing of a zombie comes from the group generation (send_offsets), so the
            # id need only be unique among live producers.
            member = self._worker_id or uuid.uuid4().hex
            producer = self._producer(
                role, {"transactional.id": f"{group_id(self._settings)}.{member}.{role}"}
            )
            return TransactionalCheckpoint(producer, consumer, timeout_s=FLUSH_TIMEOUT_S)
        state_producer = (
            self._producer(f"{role}-state", {"linger.ms": STATE_LINGER_S * 1000}) if state else None
        )
        return Checkpoint(
            self._producer(role),
            consumer_commit(consumer),
            flush_timeout_s=FLUSH_TIMEOUT_S,
            state_producer=state_producer,
            commit_interval_s=self._config.commit_interval_s,
        )

    # -- the loops --------------------------------------------------------------------

    def _join(self) -> JoinLoop:
        topics = self._settings.topics
        deadlines = Deadlines(self._partitions)
        decider = BatchDecider(self._rules, topics, self._partitions, deadlines.due)
        consumer = self._consumer("join")
        restore = Consumer(
            consumer_config(
                self._conn,
                "callstream-streams-restore",
                f"{group_id(self._settings)}.restore",  # never joined: assign() only
                {"enable.partition.eof": True, "fetch.max.bytes": 64 * 2**20},
            )
        )
        return JoinLoop(
            consumer=consumer,
            checkpoint=self._checkpoint("join", consumer, state=True),
            restorer=Restorer(restore, topics, timeout_s=RESTORE_TIMEOUT_S),
            decider=decider,
            deadlines=deadlines,
            topics=topics,
            partitions=self._partitions,
            accounting=self._accounting,
            health=self._health,
            batch_max=self._config.batch_max_events,
            poll_s=POLL_S,
            gather_s=self._config.batch_gather_s,
            tick_interval_s=self._config.tick_interval_s,
            tracing=self._tracing,
        )

    def _sources(self) -> SourcesLoop:
        topics = self._settings.topics
        consumer = self._consumer("sources")
        return SourcesLoop(
            consumer=consumer,
            checkpoint=self._checkpoint("sources", consumer),
            rules=self._rules,
            source_of_topic={topic: name for name, topic in topics.sources.items()},
            wire=Wire(topics, self._partitions, self._tracing),
            accounting=self._accounting,
            batch_max=self._config.batch_max_events,
            poll_s=POLL_S,
            gather_s=self._config.batch_gather_s,
            decoders=self._decoders.by_source,
            joined=lambda: self._health.set("sources", True, "in the group"),
        )

    def _tool_runs(self) -> tuple[ToolRuns, BackendClient]:
        config = self._config
        topics = self._settings.topics
        http = self._backends or AiohttpBackendClient(concurrency=config.tool_runner_concurrency)
        runs = ToolRuns(
            runner=ToolRunner(
                http,
                concurrency=config.tool_runner_concurrency,
                max_response_bytes=config.tool_response_max_bytes,
            ),
            rules=self._rules,
            results_topic=topics.tool_results,
            wire=Wire(topics, self._partitions, self._tracing),
            producer=AckedProducer(self._producer("tool-runner"), on_failure=self._fail),
            metrics=self._metrics,
            concurrency=config.tool_runner_concurrency,
            grace_s=STOP_GRACE_S,
            joined=lambda: self._health.set("tool_runner", True, "in the group"),
        )
        return runs, http

    async def _serve_tools(self, runs: ToolRuns, http: BackendClient) -> None:
        thread = ConsumerThread(
            self._consumer("tool-runner"),
            topic=self._settings.topics.streams_tool_runs,
            hooks=runs,
            loop=asyncio.get_running_loop(),
            revoke_timeout_s=STOP_GRACE_S + 5.0,
            name="streams-tool-runner-consumer",
        )
        thread.start()
        try:
            await runs.run(thread)
        finally:
            await http.aclose()
        if runs.failure is not None:
            self._fail(f"tool runner: {runs.failure}")

    # -- running ------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Begin a clean stop (safe from a signal handler or any thread)."""
        self._stop.set()

    def _fail(self, detail: str) -> None:
        if self._failure.detail is None:
            self._failure.detail = detail
            self._health.set("loops", False, detail)
            log.error("worker_failed", detail=detail)
        self._stop.set()

    def _thread(self, name: str, target: Callable[[], None]) -> threading.Thread:
        def guarded() -> None:
            try:
                target()
            except BaseException as exc:  # any failure stops the worker, loudly
                log.exception("loop_failed", loop=name)
                self._fail(f"{name}: {exc!r}")

        thread = threading.Thread(target=guarded, name=name, daemon=True)
        thread.start()
        return thread

    def run(self) -> int:
        """Run until stopped; the process's exit status (0 after a clean stop)."""
        self._health.set("loops", True)
        # Ready once every loop is in the group (and the join has restored its partitions).
        self._health.set("joined", False, "joining the group")
        self._health.set("tool_runner", False, "joining the group")
        if self._settings.topics.sources:
            self._health.set("sources", False, "joining the group")
        runs, http = self._tool_runs()
        tools_loop = asyncio.new_event_loop()

        def serve_tools() -> None:
            try:
                tools_loop.run_until_complete(self._serve_tools(runs, http))
            finally:
                tools_loop.close()

        threads = [
            self._thread("streams-tool-runner", serve_tools),
            self._thread("streams-join", lambda: self._join().run(self._stop)),
        ]
        if self._settings.topics.sources:
            threads.append(self._thread("streams-sources", lambda: self._sources().run(self._stop)))
        self._stop.wait()
        log.info("worker_stopping", failure=self._failure.detail)
        with contextlib.suppress(RuntimeError):  # the loop already ended (the runner failed)
            tools_loop.call_soon_threadsafe(runs.request_stop)
        for thread in threads:
            thread.join(timeout=STOP_GRACE_S + 10.0)
        self._decoders.close()
        stuck = [thread.name for thread in threads if thread.is_alive()]
        if stuck:
            self._fail(f"loops did not stop within the grace: {stuck}")
        return 1 if self._failure.detail is not None else 0


def install_signals(worker: StreamsWorker) -> None:
    """SIGTERM and SIGINT begin a clean stop (also when started in the background)."""

    def handler(signum: int, _: FrameType | None) -> None:
        log.info("signal_received", signal=signal.Signals(signum).name)
        worker.request_stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
