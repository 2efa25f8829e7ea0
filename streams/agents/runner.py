"""The tool-runner agent: accepted tool requests in, their backends' outcomes out.

It reads ``streams.tool-runs`` (requests the join accepted for tools with a
backend) with several concurrent actors, so slow backends never hold up the
join agent; each outcome is published to ``tool-results`` and acknowledged
by Kafka before the request is. A crash between the backend's answer and that
acknowledgement means the backend is asked again (it receives the request id
in ``x-callstream-request-id`` for its own de-duplication); the second result
is a duplicate to the join and is dropped.
"""

from __future__ import annotations

import time
from typing import Any

import structlog

from callstream.errors import RecordError
from callstream.records import ToolCall, decode, encode
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
    """The faust agent body for ``streams.tool-runs`` (run with concurrency > 1)."""

    def __init__(
        self,
        *,
        runner: ToolRunner,
        rules: Rules,
        results_topic: str,
        sender: OutputSender,
        metrics: StreamsMetrics,
    ) -> None:
        self._runner = runner
        self._rules = rules
        self._results = results_topic
        self._sender = sender
        self._metrics = metrics

    async def __call__(self, stream: Any) -> None:
        async for event in stream.events():
            await self.handle(raw_record(event.message))

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
