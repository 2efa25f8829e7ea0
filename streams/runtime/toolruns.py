"""The tool runner: accepted tool requests in, their backends' outcomes out, on asyncio.

It consumes ``streams.tool-runs`` (requests the join accepted for tools with
a backend) through ``callstream.kafka.consumer_thread``, in the worker's
consumer group, and works on up to ``concurrency`` requests at once, so a
slow backend never holds up the join. Each outcome (an ``ok``/``error``
result on ``tool-results``, or a dead letter) is acknowledged by Kafka
before its request counts as finished; offsets are committed in arrival
order per partition (``callstream.kafka.offsets``, the injector's own
bookkeeping), so a commit never passes a request still running. A crash
between a backend's answer and that commit asks the backend again (it
receives the request id in ``x-callstream-request-id`` for its own
de-duplication); the second result is a duplicate to the join.

Consumption pauses when ``concurrency`` requests are unfinished and resumes
at half. An unexpected error in a request stops the worker rather than carry
on without its outcome.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog
from confluent_kafka import Message

from callstream.config import BackendSpec
from callstream.errors import RecordError
from callstream.kafka.acked import AckedProducer, Write
from callstream.kafka.backlog import Backlog
from callstream.kafka.consumer_thread import ConsumerControl
from callstream.records import ToolCall, ToolResult, decode, encode
from callstream.tracing import Tracing, from_span
from streams.batch import RawRecord
from streams.decide.outputs import DeadLetterOut
from streams.decide.rules import Rules
from streams.metrics import StreamsMetrics
from streams.runtime.records import raw_record
from streams.state.held import Origin
from streams.toolrunner.runner import ToolRunner
from streams.wire import Wire, parse_forwarded

log = structlog.get_logger(__name__)

COMMIT_INTERVAL_S = 0.2


class ToolRuns:
    """Runs ``streams.tool-runs`` requests against their backends (consumer-thread hooks)."""

    def __init__(
        self,
        *,
        runner: ToolRunner,
        rules: Rules,
        results_topic: str,
        wire: Wire,
        producer: AckedProducer,
        metrics: StreamsMetrics,
        concurrency: int,
        grace_s: float,
        joined: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if concurrency < 1:
            raise ValueError("the tool runner needs a concurrency of at least 1")
        self._runner = runner
        self._rules = rules
        self._results = results_topic
        self._wire = wire
        self._producer = producer
        self._metrics = metrics
        self._grace_s = grace_s
        self._joined = joined
        self._clock = clock
        self._consumer: ConsumerControl | None = None
        self._backlog = Backlog(
            max_buffered=concurrency,
            pause=lambda: self._consumer.pause_all() if self._consumer else None,
            resume=lambda: self._consumer.resume_all() if self._consumer else None,
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()
        self._failure: str | None = None

    @property
    def failure(self) -> str | None:
        """Why the tool runner stopped on its own, or None."""
        return self._failure

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self, consumer: ConsumerControl) -> None:
        """Serve until ``request_stop``; then finish (within the grace) and commit."""
        self._consumer = consumer
        commits = asyncio.create_task(
            self._backlog.commit_periodically(consumer, COMMIT_INTERVAL_S), name="tool-run-commits"
        )
        acks = asyncio.create_task(self._producer.run(), name="tool-run-acks")
        try:
            await self._stop.wait()
            self._backlog.frozen = True
            consumer.stop_fetching()
            if not await self._backlog.wait(self._backlog.idle, self._grace_s):
                log.warning("tool_runs_abandoned", in_flight=self._backlog.in_flight)
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._producer.drain(5.0)
            await consumer.close(self._backlog.offsets.committable())
        finally:
            for task in (commits, acks):
                task.cancel()
            await asyncio.gather(commits, acks, return_exceptions=True)

    # -- consumer hooks ------------------------------------------------------------

    def on_assigned(self, partitions: list[int]) -> None:
        self._backlog.offsets.assign(partitions)
        self._joined()

    async def on_revoked(self, partitions: list[int]) -> dict[int, int]:
        """Start nothing new for ``partitions``, let running requests finish, return commits."""
        self._backlog.leave(partitions)
        grace = 0.0 if self._stop.is_set() else self._grace_s
        if not await self._backlog.wait(lambda: self._backlog.idle(partitions), grace):
            log.warning("tool_runs_revoked_in_flight", partitions=partitions)
        return self._backlog.release(partitions)

    def on_lost(self, partitions: list[int]) -> None:
        self._backlog.leave(partitions)
        self._backlog.release(partitions)

    def on_watermarks(self, marks: dict[int, tuple[int, int]]) -> None:
        return None

    def on_consumer_failed(self, detail: str) -> None:
        self._failure = detail
        log.error("consumer_failed", consumer="tool-runner", detail=detail)
        self.request_stop()

    def on_records(self, records: list[Message]) -> None:
        for message in records:
            record = raw_record(message)
            generation = self._backlog.receive(record.partition, record.offset)
            if generation is None:
                continue  # its partition was revoked meanwhile; the new owner runs it
            self._backlog.start(record.partition)
            task = asyncio.create_task(self._work(record, generation))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._backlog.after_receiving()

    # -- one request -----------------------------------------------------------------

    async def _work(self, record: RawRecord, generation: int) -> None:
        try:
            writes = await self.handle(record)
        except Exception as exc:  # a bug: stop the worker rather than lose the request
            log.exception("tool_run_failed", partition=record.partition, offset=record.offset)
            self._failure = f"a tool request failed unexpectedly: {exc!r}"
            self.request_stop()
            return  # unfinished: neither it nor anything after it on its partition is committed

        def written() -> None:
            self._backlog.finish(record.partition, generation, record.offset)

        self._producer.write(writes, written)

    async def handle(self, record: RawRecord) -> list[Write]:
        """Run one request; the records that carry its outcome."""
        origin = Origin(record.topic, record.partition, record.offset, record.timestamp)
        try:
            origin = parse_forwarded(record.headers).origin or origin
            call = decode(ToolCall, record.value)
        except (ValueError, RecordError) as exc:
            reason = exc.reason if isinstance(exc, RecordError) else "schema"
            return [self._dead(record, origin, reason, str(exc))]
        backend = self._rules.tool(call.tool).backend
        if backend is None:
            error = f"tool {call.tool!r} has no backend configured any more"
            return [self._dead(record, origin, "no_backend", error)]
        if self._wire.tracing is not None:
            return await self._traced(self._wire.tracing, call, backend, origin)
        result = await self._run(call, backend)
        return [Write(self._results, call.call_control_id.encode(), encode(result))]

    async def _run(self, call: ToolCall, backend: BackendSpec) -> ToolResult:
        started = time.monotonic()
        with structlog.contextvars.bound_contextvars(
            call_control_id=call.call_control_id, request_id=call.request_id
        ):
            result = await self._runner.run(call, backend)
            self._metrics.tool_runs.labels(call.tool, result.status).inc()
            self._metrics.tool_seconds.labels(call.tool).observe(time.monotonic() - started)
            log.info("tool_ran", tool=call.tool, status=result.status, detail=result.error)
        return result

    async def _traced(
        self, tracing: Tracing, call: ToolCall, backend: BackendSpec, origin: Origin
    ) -> list[Write]:
        """The lookup as a ``tool runner lookup`` span, its result carrying the span's context."""
        attributes = {
            "callstream.call_control_id": call.call_control_id,
            "callstream.request_id": call.request_id,
            "callstream.tool": call.tool,
        }
        parent = origin.trace[0] if origin.trace else None
        with tracing.span("tool runner lookup", parent=parent, attributes=attributes) as span:
            context = from_span(span)
            trace_id = None if context is None else context.trace_id
            with structlog.contextvars.bound_contextvars(trace_id=trace_id):
                result = await self._run(call, backend)
            span.set_attribute("callstream.tool_status", result.status)
        headers = None if context is None else context.headers()
        return [Write(self._results, call.call_control_id.encode(), encode(result), headers)]

    def _dead(self, record: RawRecord, origin: Origin, reason: str, error: str) -> Write:
        dead = DeadLetterOut(
            record.value, origin, reason, error, key=record.key, stage="tool-runner"
        )
        self._metrics.dead_letters.labels(reason).inc()
        log.warning("dead_lettered", stage="tool-runner", reason=reason, detail=error)
        out = self._wire.record(dead, self._clock())
        assert out is not None  # a dead letter always has a record
        return Write(out.topic, out.key, out.value, out.headers)
