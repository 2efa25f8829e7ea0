"""The follow-up texter: each ``followups`` record that carries an SMS, sent once in effect.

Runs in the injector process beside the injector, with a consumer of its own
(group ``{injector group}-sms``) on ``followups``. A record without an SMS is
finished at once. One with an SMS is sent through ``MessagingClient`` with
the follow-up's id as the idempotency key, retried by the injector's own
policy and schedule (``injector.policy``: backoff with jitter, ``Retry-After``,
``retry.max_attempts`` and ``retry.max_age_s``), and settled as one of the
``sms_*`` outcomes (``settle``), recorded on ``deliveries``; ``sms_failed``
and ``sms_rejected`` also go to the DLQ with the original record. A follow-up
id the ledger holds as sent is recorded again without a request.

Offsets are committed only over records whose outcome the broker has
acknowledged (``callstream.kafka.backlog``), as for injections. A 401/403
halts texting (readiness red) without touching the injector's own work.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from confluent_kafka import Message

from callstream.config.services import RetrySchedule
from callstream.errors import RecordError
from callstream.kafka.backlog import Backlog
from callstream.kafka.consumer_thread import ConsumerControl
from callstream.ops import Health
from callstream.records import Delivery, Followup, Outcome, decode, utcnow
from injector.memory import RecentSet
from injector.outcomes import dead_letter, poison_letter
from injector.policy import Decision, Done, Final, Halt, Reply, decide
from injector.recorder import DeadLetterWrite, Recorder
from injector.sms import MessagingClient

log = structlog.get_logger("injector.texter")

COMMIT_INTERVAL_S = 0.5
MAX_BUFFERED = 1000


@dataclass(frozen=True)
class _Job:
    """One received ``followups`` record with an SMS, and how to finish its offset."""

    followup: Followup
    key: bytes | None
    raw: bytes | None
    partition: int
    offset: int
    done: Callable[[], None]


@dataclass(frozen=True)
class Settled:
    """How one SMS ended."""

    outcome: Outcome
    reason: str


def settle(decision: Decision) -> Settled | Halt | None:
    """The SMS outcome a policy decision settles (``None``: retry; ``Halt``: credentials).

    The messaging API has no call to be over: what Add Messages reads as the
    call ended (404, 422/90018) is a refusal here.
    """
    match decision:
        case Done():
            return Settled("sms_sent", "")
        case Halt():
            return decision
        case Final(outcome="failed" | "expired", reason=reason):
            return Settled("sms_failed", reason)
        case Final(reason=reason):
            return Settled("sms_rejected", reason)
        case _:
            return None


class Texter:
    """Sends the SMS of ``followups`` records through ``client``; records every outcome."""

    def __init__(
        self,
        *,
        topic: str,
        client: MessagingClient,
        recorder: Recorder,
        schedule: RetrySchedule,
        ledger: RecentSet,
        health: Health,
        rng: random.Random | None = None,
        wall_clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._topic = topic
        self._client = client
        self._recorder = recorder
        self._schedule = schedule
        self._ledger = ledger
        self._health = health
        self._rng = rng or random.Random()  # noqa: S311 - retry jitter, not a secret
        self._wall = wall_clock
        self._monotonic = monotonic
        self._consumer: ConsumerControl | None = None
        self._backlog = Backlog(
            max_buffered=MAX_BUFFERED,
            pause=lambda: self._consumer.pause_all() if self._consumer else None,
            resume=lambda: self._consumer.resume_all() if self._consumer else None,
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()
        self._halted = False
        self.failure: str | None = None

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self, consumer: ConsumerControl, grace_s: float) -> None:
        """Serve until ``request_stop``; then let sends in flight finish and commit."""
        self._consumer = consumer
        self._health.set("sms", True)
        background = [
            asyncio.create_task(self._recorder.run(), name="sms-recorder"),
            asyncio.create_task(
                self._backlog.commit_periodically(consumer, COMMIT_INTERVAL_S), name="sms-commits"
            ),
        ]
        try:
            await self._stop.wait()
            self._backlog.frozen = True
            consumer.stop_fetching()
            await self._backlog.wait(self._backlog.idle, grace_s)
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._recorder.drain(max(5.0, grace_s))
            await consumer.close(self._backlog.offsets.committable())
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)

    # --- consumer hooks ---------------------------------------------------------------------

    def on_assigned(self, partitions: list[int]) -> None:
        self._backlog.offsets.assign(partitions)

    async def on_revoked(self, partitions: list[int]) -> dict[int, int]:
        self._backlog.leave(partitions)
        await self._backlog.wait(lambda: self._backlog.idle(partitions), 5.0)
        return self._backlog.release(partitions)

    def on_lost(self, partitions: list[int]) -> None:
        self._backlog.leave(partitions)
        self._backlog.release(partitions)

    def on_watermarks(self, marks: dict[int, tuple[int, int]]) -> None:
        pass

    def on_consumer_failed(self, detail: str) -> None:
        self.failure = detail
        self._health.set("sms", False, f"consumer failed: {detail}")
        self.request_stop()

    def on_records(self, records: list[Message]) -> None:
        for record in records:
            partition, offset = record.partition(), record.offset()
            if partition is None or offset is None:
                continue
            generation = self._backlog.receive(partition, offset)
            if generation is None:
                continue
            self._backlog.start(partition)
            done = _finisher(self._backlog, partition, generation, offset)
            value = record.value()
            raw = value.encode() if isinstance(value, str) else value
            key = record.key()
            key_bytes = key.encode() if isinstance(key, str) else key
            try:
                followup = decode(Followup, raw)
            except RecordError as exc:
                letter = poison_letter(
                    exc, topic=self._topic, partition=partition, offset=offset, at=self._wall()
                )
                self._recorder.record(None, DeadLetterWrite(key_bytes, raw, letter), done)
                continue
            if followup.sms is None or self._halted:
                if self._halted:
                    self._backlog.abandon(partition)  # never committed: sent after a restart
                else:
                    done()
                continue
            job = _Job(followup, key_bytes, raw, partition, offset, done)
            task = asyncio.create_task(self._text(job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._backlog.after_receiving()

    # --- one SMS ----------------------------------------------------------------------------

    async def _text(self, job: _Job) -> None:
        followup = job.followup
        with structlog.contextvars.bound_contextvars(
            call_control_id=followup.call_control_id, followup_id=followup.followup_id
        ):
            if self._ledger.contains(followup.followup_id, self._wall().timestamp()):
                self._write(
                    job, Settled("sms_sent", "already sent (ledger); not sent again"), None, 0
                )
                return
            ending = await self._attempts(followup)
            if isinstance(ending, Halt):
                self._halt(ending.reason)
                self._backlog.abandon(job.partition)
                return
            settled, status, attempts = ending
            if settled.outcome == "sms_sent":
                self._ledger.add(followup.followup_id, self._wall().timestamp())
            self._write(job, settled, status, attempts)

    async def _attempts(self, followup: Followup) -> tuple[Settled, int | None, int] | Halt:
        started = self._monotonic()
        expires_at = followup.created_at + timedelta(seconds=self._schedule.max_age_s)
        attempt = 0
        while True:
            attempt += 1
            result = await self._client.send(followup)
            status = result.status if isinstance(result, Reply) else None
            decision = decide(
                result,
                attempt=attempt,
                age_s=self._monotonic() - started,
                now=self._wall(),
                expires_at=max(expires_at, self._wall() + timedelta(seconds=1)),
                schedule=self._schedule,
                rng=self._rng,
            )
            settled = settle(decision)
            if isinstance(settled, Halt):
                return settled
            if settled is not None:
                return settled, status, attempt
            assert not isinstance(decision, Done | Final | Halt)
            try:
                await asyncio.wait_for(self._stop.wait(), decision.delay_s)
            except TimeoutError:
                continue
            return Settled("sms_failed", "stopped while waiting to retry"), status, attempt

    def _write(self, job: _Job, settled: Settled, status: int | None, attempts: int) -> None:
        followup, at = job.followup, self._wall()
        delivery = Delivery(
            injection_id=followup.followup_id,
            call_control_id=followup.call_control_id,
            outcome=settled.outcome,
            status_code=status,
            attempts=attempts,
            at=at,
            error=settled.reason or None,
        )
        letter = None
        if settled.outcome != "sms_sent":
            meta = dead_letter(
                reason=settled.outcome,
                error=settled.reason,
                topic=self._topic,
                partition=job.partition,
                offset=job.offset,
                at=at,
                call_control_id=followup.call_control_id,
            )
            letter = DeadLetterWrite(job.key, job.raw, meta)
        log.info("sms_ended", outcome=settled.outcome, attempts=attempts, status_code=status)
        self._recorder.record(delivery, letter, job.done)

    def _halt(self, reason: str) -> None:
        if self._halted:
            return
        self._halted = True
        self._backlog.frozen = True
        self._health.set("sms", False, f"halted: {reason}")
        log.error(
            "sms_credentials_refused",
            reason=reason,
            detail="THE MESSAGING API REFUSED OUR CREDENTIALS: check TELNYX_API_KEY; no SMS sent",
        )
        if self._consumer is not None:
            self._consumer.pause_all()


def _finisher(backlog: Backlog, partition: int, generation: int, offset: int) -> Callable[[], None]:
    return lambda: backlog.finish(partition, generation, offset)
