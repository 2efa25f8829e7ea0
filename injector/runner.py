"""One job from start to ending: skipped by memory, or delivered; and what its ending teaches.

``JobRunner.run`` first consults the memories — an injection id the ledger
holds is recorded as delivered again without a request; a call known to have
ended is not called — and otherwise delivers, with every request bounded by
the ``max_in_flight`` slots and measured. ``remember`` updates the memories,
the metrics and the log from a finished job.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.util.types import AttributeValue

from callstream.config.services import RetrySchedule
from callstream.records import Injection
from callstream.tracing import TraceParent, Tracing, from_span
from injector.client import AddMessagesClient
from injector.delivery import Ending, Finished, Toolkit, deliver
from injector.jobs import Job
from injector.memory import RecentSet
from injector.metrics import InjectorMetrics, attempt_result
from injector.outcomes import end_to_end_ms
from injector.policy import Reply, Result

log = structlog.get_logger("injector")


class JobRunner:
    """Delivers jobs through ``client`` with at most ``max_in_flight`` requests at once."""

    def __init__(
        self,
        *,
        client: AddMessagesClient,
        metrics: InjectorMetrics,
        ledger: RecentSet,
        ended_calls: RecentSet,
        schedule: RetrySchedule,
        max_in_flight: int,
        rng: random.Random,
        wall_clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
        tracing: Tracing | None = None,
    ) -> None:
        self._client = client
        self._tracing = tracing
        self._metrics = metrics
        self._ledger = ledger
        self._ended = ended_calls
        self._schedule = schedule
        self._slots = asyncio.Semaphore(max_in_flight)
        self._rng = rng
        self._wall = wall_clock
        self._monotonic = monotonic
        # Decided once: at thousands of deliveries a second, even a filtered-out
        # structlog call costs (its processors run before the level filter).
        self._log_each_delivery = logging.getLogger("injector").isEnabledFor(logging.DEBUG)

    async def run(
        self,
        job: Job,
        *,
        may_send: Callable[[], bool],
        wait: Callable[[float], Awaitable[bool]],
    ) -> Ending:
        """The job's ending; ``may_send``/``wait`` let the caller withdraw it."""
        injection = job.injection
        now = self._wall()
        if self._ledger.contains(injection.injection_id, now.timestamp()):
            self._metrics.skipped.labels("ledger").inc()
            return Finished("delivered", None, 0, now, "already delivered (ledger); not sent again")
        if self._ended.contains(injection.call_control_id, now.timestamp()):
            self._metrics.skipped.labels("ended_call").inc()
            return Finished("call_ended", None, 0, now, "the call already ended; not sent")
        kit = Toolkit(
            send=self._send if self._tracing is None else self._traced(self._tracing, job),
            wait=wait,
            may_send=may_send,
            wall_clock=self._wall,
            monotonic=self._monotonic,
            schedule=self._schedule,
            rng=self._rng,
        )
        return await deliver(injection, kit)

    async def _send(self, injection: Injection, trace: TraceParent | None = None) -> Result:
        async with self._slots:
            self._metrics.in_flight.inc()
            started = self._monotonic()
            try:
                result = await self._client.send(injection, trace)
            finally:
                self._metrics.in_flight.dec()
        self._metrics.remote_latency.observe(self._monotonic() - started)
        self._metrics.attempts.labels(attempt_result(result)).inc()
        return result

    def _traced(self, tracing: Tracing, job: Job) -> Callable[[Injection], Awaitable[Result]]:
        """``_send`` with each attempt an ``injector attempt`` span, a child of the decision's,
        whose context the remote receives in ``traceparent``."""
        attempts = 0

        async def attempt(injection: Injection) -> Result:
            nonlocal attempts
            attempts += 1
            attributes: dict[str, AttributeValue] = {
                "callstream.injection_id": injection.injection_id,
                "callstream.call_control_id": injection.call_control_id,
                "callstream.attempt": attempts,
            }
            with tracing.span(
                "injector attempt", parent=job.trace, kind=SpanKind.CLIENT, attributes=attributes
            ) as span:
                result = await self._send(injection, from_span(span))
                if isinstance(result, Reply):
                    span.set_attribute("http.response.status_code", result.status)
                    failed = result.status >= 400
                else:
                    span.set_attribute("error.type", result.kind)
                    failed = True
                if failed:
                    span.set_status(StatusCode.ERROR)
            return result

        return attempt

    def remember(self, job: Job, ending: Finished) -> None:
        """Teach the memories and metrics what a finished job showed, and log it."""
        injection = job.injection
        at = ending.at.timestamp()
        self._metrics.deliveries.labels(ending.outcome).inc()
        if ending.outcome == "delivered":
            self._ledger.add(injection.injection_id, at)
            self._metrics.ledger_ids.set(len(self._ledger))
            if ending.attempts:
                self._metrics.end_to_end_latency.observe(
                    end_to_end_ms(injection, ending.at) / 1000.0
                )
        elif ending.outcome == "call_ended":
            self._ended.add(injection.call_control_id, at)
        if ending.outcome == "delivered" and not self._log_each_delivery:
            return
        logged = log.debug if ending.outcome == "delivered" else log.info
        logged(
            "delivery_ended",  # the call and injection ids are bound by the caller
            outcome=ending.outcome,
            attempts=ending.attempts,
            status_code=ending.status,
            reason=ending.reason or None,
        )
