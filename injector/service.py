"""The injector: consumed records in, one effective delivery (or a dead letter) per injection out.

Runs on one asyncio loop, fed by the consumer thread. Each call has a lane, so
its messages go strictly one after another, while up to ``max_in_flight``
requests for different calls are in flight at once. An offset is finished
only once its outcome is acknowledged by the broker, and only the finished
prefix of each partition is committed. When more than ``max_buffered`` records
wait, consumption pauses (and resumes at half). A 401/403 halts consumption
for good: readiness goes red, one loud line says the key is wrong, nothing
past the offending record is committed, and the process stays up.

It must never deliver an injection whose id the ledger holds, never call a
call known to have ended, and never commit past an unfinished record.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from datetime import datetime

import structlog
from confluent_kafka import Message

from callstream.config.services import InjectorConfig
from callstream.errors import RecordError
from callstream.kafka.backlog import Backlog
from callstream.kafka.consumer_thread import ConsumerControl
from callstream.ops import Health
from callstream.records import Injection, decode, utcnow
from callstream.tracing import Tracing, trace_of
from injector.client import AddMessagesClient
from injector.delivery import Abandoned, Halted
from injector.errors import CredentialsRejected
from injector.jobs import Job, Lane, undelivered_for, writes_for
from injector.memory import RecentSet
from injector.metrics import InjectorMetrics
from injector.outcomes import poison_letter
from injector.recorder import DeadLetterWrite, Recorder
from injector.runner import JobRunner

log = structlog.get_logger("injector")

COMMIT_INTERVAL_S = 0.5


class Injector:
    """Delivers ``injections`` records through ``client`` and records every outcome."""

    def __init__(
        self,
        *,
        config: InjectorConfig,
        topic: str,
        client: AddMessagesClient,
        recorder: Recorder,
        health: Health,
        metrics: InjectorMetrics,
        ledger: RecentSet,
        ended_calls: RecentSet,
        rng: random.Random | None = None,
        wall_clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        tracing: Tracing | None = None,
    ) -> None:
        self._config = config
        self._traced = tracing is not None
        self._topic = topic
        self._recorder = recorder
        self._health = health
        self._metrics = metrics
        self._wall = wall_clock
        self._monotonic = monotonic
        self._backlog = Backlog(
            max_buffered=config.max_buffered,
            pause=lambda: self._consumer.pause_all() if self._consumer else None,
            resume=lambda: self._consumer.resume_all() if self._consumer else None,
            on_change=metrics.buffered.set,
        )
        self._lanes: dict[str, Lane] = {}
        self._runner = JobRunner(
            client=client,
            metrics=metrics,
            ledger=ledger,
            ended_calls=ended_calls,
            schedule=config.retry,
            max_in_flight=config.max_in_flight,
            rng=rng or random.Random(),  # noqa: S311 - retry jitter, not a secret
            wall_clock=wall_clock,
            monotonic=monotonic,
            tracing=tracing,
        )
        self._halted: CredentialsRejected | None = None
        self._stopping = False
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._consumer: ConsumerControl | None = None
        self._failure: str | None = None

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def failure(self) -> str | None:
        """Why the injector stopped on its own (the consumer failed), or None."""
        return self._failure

    def request_stop(self) -> None:
        """Begin a graceful shutdown (signal handlers call this)."""
        self._stop.set()

    async def run(self, consumer: ConsumerControl) -> None:
        """Serve until ``request_stop``; then finish or abandon in-flight work and commit."""
        self._consumer = consumer
        self._health.set("credentials", True)
        background = [
            asyncio.create_task(self._recorder.run(), name="recorder"),
            asyncio.create_task(
                self._backlog.commit_periodically(consumer, COMMIT_INTERVAL_S, self._health.beat),
                name="commits",
            ),
        ]
        try:
            await self._stop.wait()
            await self._shut_down(consumer)
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)

    async def _shut_down(self, consumer: ConsumerControl) -> None:
        grace = self._config.shutdown_grace_s
        log.info("shutting_down", in_flight=self._backlog.in_flight, grace_s=grace)
        self._stopping = True
        self._backlog.frozen = True
        consumer.stop_fetching()
        self._wake_waiters()
        finished = await self._backlog.wait(self._backlog.idle, grace)
        lanes = [lane.task for lane in self._lanes.values() if lane.task is not None]
        if not finished:
            log.warning(
                "deliveries_abandoned",
                count=len(lanes),
                detail="in-flight deliveries outlived the shutdown grace; abandoned",
            )
        for task in lanes:
            task.cancel()
        await asyncio.gather(*lanes, return_exceptions=True)
        if not await self._recorder.drain(max(5.0, grace)):
            log.error(
                "outcomes_unacknowledged",
                detail="some outcome records were not acknowledged; their offsets stay open",
            )
        final = self._backlog.offsets.committable()
        await consumer.close(final)
        log.info("stopped", committed=final)

    # --- consumer hooks (called on the loop by the consumer thread) ---------------------------

    def on_assigned(self, partitions: list[int]) -> None:
        self._backlog.offsets.assign(partitions)

    async def on_revoked(self, partitions: list[int]) -> dict[int, int]:
        """Stop starting work for ``partitions``, let in-flight work finish, return commits."""
        self._backlog.leave(partitions)
        self._wake_waiters()
        done = await self._backlog.wait(
            lambda: self._backlog.idle(partitions),
            0.0 if self._stopping else self._config.shutdown_grace_s,
        )
        if not done:
            log.warning(
                "revoked_in_flight",
                partitions=partitions,
                detail="revoked partitions still had deliveries in flight",
            )
        return self._release(partitions)

    def on_consumer_failed(self, detail: str) -> None:
        """The consumer thread died: readiness red, and stop (the process exits non-zero)."""
        self._failure = detail
        self._health.set("consumer", False, detail)
        log.error("consumer_failed", error=detail, detail="the Kafka consumer failed; stopping")
        self.request_stop()

    def on_lost(self, partitions: list[int]) -> None:
        self._backlog.leave(partitions)
        self._wake_waiters()
        self._release(partitions)

    def _release(self, partitions: list[int]) -> dict[int, int]:
        offsets = self._backlog.release(partitions)
        for partition in partitions:
            with contextlib.suppress(KeyError):  # no lag was reported for it yet
                self._metrics.consumer_lag.remove(str(partition))
        return offsets

    def on_watermarks(self, marks: dict[int, tuple[int, int]]) -> None:
        for partition, (high, position) in marks.items():
            done_up_to = self._backlog.offsets.oldest_unfinished(partition)
            if done_up_to is None:
                done_up_to = position if position >= 0 else high
            self._metrics.consumer_lag.labels(str(partition)).set(max(0, high - done_up_to))

    def on_records(self, records: list[Message]) -> None:
        for record in records:
            partition, offset = record.partition(), record.offset()
            if partition is None or offset is None:
                continue
            generation = self._backlog.receive(partition, offset)
            if generation is None:
                continue  # its partition was revoked meanwhile; the new owner reads it
            key, value = _as_bytes(record.key()), _as_bytes(record.value())
            try:
                injection = decode(Injection, value)
            except RecordError as exc:
                self._dead_letter_poison(
                    partition, offset, generation=generation, key=key, value=value, exc=exc
                )
                continue
            job = Job(partition, offset, generation, key, value, injection)
            if self._traced:
                job.trace = trace_of(record.headers())
            lane = self._lanes.get(injection.call_control_id)
            if lane is None:
                lane = self._lanes[injection.call_control_id] = Lane(injection.call_control_id)
            lane.jobs.append(job)
            if lane.task is None and self._halted is None:
                lane.task = asyncio.create_task(self._work_lane(lane))
        self._backlog.after_receiving()

    # --- per-call work ----------------------------------------------------------------------

    def _owned(self, job: Job) -> bool:
        return self._backlog.owns(job.partition, job.generation)

    async def _work_lane(self, lane: Lane) -> None:
        try:
            while lane.jobs and self._halted is None:
                job = lane.jobs[0]
                if self._stopping or not self._owned(job):
                    lane.jobs.popleft()
                    self._backlog.drop()
                    continue
                if not await self._process(job):
                    return  # halted: the job stays, unfinished, so its offset is never committed
                lane.jobs.popleft()
        finally:
            lane.task = None
            if not lane.jobs and self._lanes.get(lane.call_control_id) is lane:
                del self._lanes[lane.call_control_id]

    async def _process(self, job: Job) -> bool:
        """Deliver one job and hand its outcome to the recorder; False if consumption halted.

        Every line logged meanwhile, in this lane's task, names the call and the injection.
        """
        injection = job.injection
        with structlog.contextvars.bound_contextvars(
            call_control_id=injection.call_control_id,
            injection_id=injection.injection_id,
            **({} if job.trace is None else {"trace_id": job.trace.trace_id}),
        ):
            return await self._deliver(job)

    async def _deliver(self, job: Job) -> bool:
        self._backlog.start(job.partition)
        ending = await self._runner.run(
            job, may_send=lambda: self._may_send(job), wait=lambda s: self._wait(job, s)
        )
        if isinstance(ending, Halted):
            self._backlog.abandon(job.partition)
            self._halt(ending.reason, job)
            return False
        if isinstance(ending, Abandoned):
            self._backlog.abandon(job.partition)
            return True
        self._runner.remember(job, ending)
        delivery, letter = writes_for(job, ending, topic=self._topic)
        self._recorder.record(
            delivery,
            letter,
            lambda: self._backlog.finish(job.partition, job.generation, job.offset),
            trace=job.trace,
            undelivered=undelivered_for(job, ending),
        )
        if letter is not None:
            self._metrics.dead_letters.labels(letter.letter.reason).inc()
        return True

    def _may_send(self, job: Job) -> bool:
        return self._halted is None and not self._stopping and self._owned(job)

    async def _wait(self, job: Job, delay_s: float) -> bool:
        """Sleep out a retry delay; False as soon as the job is withdrawn."""
        deadline = self._monotonic() + delay_s
        while (remaining := deadline - self._monotonic()) > 0:
            if not self._may_send(job):
                return False
            try:
                await asyncio.wait_for(self._wake.wait(), remaining)
            except TimeoutError:
                break
        return self._may_send(job)

    def _dead_letter_poison(
        self,
        partition: int,
        offset: int,
        *,
        generation: int,
        key: bytes | None,
        value: bytes | None,
        exc: RecordError,
    ) -> None:
        letter = poison_letter(
            exc, topic=self._topic, partition=partition, offset=offset, at=self._wall()
        )
        log.warning(
            "undecodable_injection",
            reason=exc.reason,
            offset=offset,
            detail="an injection that cannot be decoded is dead-lettered",
        )
        self._metrics.dead_letters.labels(exc.reason).inc()
        self._backlog.start(partition)
        self._recorder.record(
            None,
            DeadLetterWrite(key, value, letter),
            lambda: self._backlog.finish(partition, generation, offset),
        )

    # --- bookkeeping ------------------------------------------------------------------------

    def on_record_failure(self, detail: str) -> None:
        """The broker refused an outcome write: its offset stays open; say so loudly."""
        self._health.set("producer", False, detail)
        log.error(
            "outcome_not_written",
            error=detail,
            detail="an outcome record was not written; its offset will not be committed",
        )

    def _halt(self, reason: str, job: Job) -> None:
        if self._halted is not None:
            return
        self._halted = CredentialsRejected(reason)
        self._backlog.frozen = True
        self._health.set("credentials", False, f"halted: {reason}")
        self._metrics.halted.set(1)
        log.error(
            "credentials_refused",
            reason=reason,
            partition=job.partition,
            offset=job.offset,
            detail=(
                "THE REMOTE REFUSED OUR CREDENTIALS: check TELNYX_API_KEY. Consumption is halted; "
                "nothing past this record is committed; restart once the key is fixed"
            ),
        )
        self._wake_waiters()
        if self._consumer is not None:
            self._consumer.pause_all()

    def _wake_waiters(self) -> None:
        wake, self._wake = self._wake, asyncio.Event()
        wake.set()


def _as_bytes(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value
