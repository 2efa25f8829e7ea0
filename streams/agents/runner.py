"""The tool-runner agent: accepted tool requests in, their backends' outcomes out.

It reads ``streams.tool-runs`` (requests the join accepted for tools with a
backend) and works on up to ``concurrency`` of them at once, so slow backends
never hold up the join agent; each outcome is published to ``tool-results``
and acknowledged by Kafka before the request is. Requests finish out of
order but are acknowledged to faust in arrival order (``agents.inorder``), so
faust never commits past a request still running. A crash between the
backend's answer and that acknowledgement means the backend is asked again
(it receives the request id in ``x-callstream-request-id`` for its own
de-duplication); the second result is a duplicate to the join and is dropped.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import structlog

from callstream.errors import RecordError
from callstream.records import ToolCall, decode, encode
from streams.agents.inorder import InOrderRelease, Ticket
from streams.agents.records import raw_record
from streams.agents.send import OutputSender
from streams.batch import RawRecord
from streams.decide.outputs import DeadLetterOut
from streams.decide.rules import Rules
from streams.metrics import StreamsMetrics
from streams.state.held import Origin
from streams.toolrunner.runner import ToolRunner
from streams.wire import OutRecord, parse_forwarded

log = structlog.get_logger(__name__)


class RunnerAgent:
    """The faust agent body for ``streams.tool-runs``: one actor, ``concurrency`` requests."""

    def __init__(
        self,
        *,
        runner: ToolRunner,
        rules: Rules,
        results_topic: str,
        sender: OutputSender,
        metrics: StreamsMetrics,
        concurrency: int,
    ) -> None:
        if concurrency < 1:
            raise ValueError("the tool runner needs a concurrency of at least 1")
        self._runner = runner
        self._rules = rules
        self._results = results_topic
        self._sender = sender
        self._metrics = metrics
        self._concurrency = concurrency

    async def __call__(self, stream: Any) -> None:
        manual = stream.noack()  # acknowledged below, in arrival order, once finished
        window: InOrderRelease[Any] = InOrderRelease()
        slots = asyncio.Semaphore(self._concurrency)
        # A request that fails unexpectedly ends the group, and with it the agent (its
        # supervisor crashes the worker); the unfinished requests are not acknowledged.
        async with asyncio.TaskGroup() as running:
            async for event in manual.events():
                await slots.acquire()
                ticket = window.add(event.message.tp, event)
                running.create_task(self._work(manual, window, ticket, slots))

    async def _work(
        self,
        stream: Any,
        window: InOrderRelease[Any],
        ticket: Ticket[Any],
        slots: asyncio.Semaphore,
    ) -> None:
        try:
            await self.handle(raw_record(ticket.item.message))
        finally:
            slots.release()
        for event in window.finish(ticket):
            await stream.ack(event)

    async def handle(self, record: RawRecord) -> None:
        origin = Origin(record.topic, record.partition, record.offset, record.timestamp)
        try:
            origin = parse_forwarded(record.headers).origin or origin
            call = decode(ToolCall, record.value)
        except (ValueError, RecordError) as exc:
            reason = exc.reason if isinstance(exc, RecordError) else "schema"
            await self._dead(record, origin, reason, str(exc))
            return
        backend = self._rules.tool(call.tool).backend
        if backend is None:
            error = f"tool {call.tool!r} has no backend configured any more"
            await self._dead(record, origin, "no_backend", error)
            return
        started = time.monotonic()
        result = await self._runner.run(call, backend)
        key = call.call_control_id.encode()
        await self._sender.send_records([OutRecord(self._results, key, encode(result), [])])
        self._metrics.tool_runs.labels(call.tool, result.status).inc()
        self._metrics.tool_seconds.labels(call.tool).observe(time.monotonic() - started)
        log.info(
            "streams.tool_ran",
            call_control_id=call.call_control_id,
            request_id=call.request_id,
            tool=call.tool,
            status=result.status,
            error=result.error,
        )

    async def _dead(self, record: RawRecord, origin: Origin, reason: str, error: str) -> None:
        dead = DeadLetterOut(
            record.value, origin, reason, error, key=record.key, stage="tool-runner"
        )
        await self._sender.send([dead], time.time())
