"""One injection's delivery: attempts, waits and the policy's verdict, until it ends.

``deliver`` sends, asks the policy, waits when told to, and returns how the
delivery ended: ``Finished`` with an outcome, ``Halted`` (credentials refused)
or ``Abandoned`` (the caller withdrew it: shutdown or a partition revoked).
Everything it touches is injected — the send function, the clocks, the wait —
so it runs in a unit test without a network or real time.

It never records anything and never sends past ``expires_at``.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from callstream.config.services import RetrySchedule
from callstream.records import Injection, Outcome
from injector.policy import Done, Final, Halt, Reply, Result, before_send, decide


@dataclass(frozen=True)
class Finished:
    """The delivery ended with ``outcome`` after ``attempts`` requests."""

    outcome: Outcome
    status: int | None
    attempts: int
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class Halted:
    """The remote refused the credentials; nothing is recorded for this injection."""

    reason: str
    attempts: int


@dataclass(frozen=True)
class Abandoned:
    """The caller withdrew the delivery before it ended; nothing is recorded."""

    attempts: int


Ending = Finished | Halted | Abandoned


@dataclass(frozen=True)
class Toolkit:
    """What ``deliver`` needs from the world."""

    send: Callable[[Injection], Awaitable[Result]]
    wait: Callable[[float], Awaitable[bool]]
    """Sleep up to the delay; False when the delivery is withdrawn meanwhile."""
    may_send: Callable[[], bool]
    """False once the delivery is withdrawn (checked before every attempt)."""
    wall_clock: Callable[[], datetime]
    monotonic: Callable[[], float]
    schedule: RetrySchedule
    rng: random.Random


async def deliver(injection: Injection, kit: Toolkit) -> Ending:
    """Attempt ``injection`` until the policy settles it or the caller withdraws it."""
    attempts = 0
    started = kit.monotonic()
    status: int | None = None
    while True:
        expired = before_send(now=kit.wall_clock(), expires_at=injection.expires_at)
        if expired is not None:
            reason = expired.reason if attempts == 0 else f"{expired.reason} (after retries)"
            return Finished("expired", status, attempts, kit.wall_clock(), reason)
        if not kit.may_send():
            return Abandoned(attempts)
        attempts += 1
        result = await kit.send(injection)
        status = result.status if isinstance(result, Reply) else None
        now = kit.wall_clock()
        decision = decide(
            result,
            attempt=attempts,
            age_s=kit.monotonic() - started,
            now=now,
            expires_at=injection.expires_at,
            schedule=kit.schedule,
            rng=kit.rng,
        )
        match decision:
            case Done():
                return Finished("delivered", status, attempts, now)
            case Final(outcome, reason):
                return Finished(outcome, status, attempts, now, reason)
            case Halt(reason):
                return Halted(reason, attempts)
            case _:
                if not await kit.wait(decision.delay_s):
                    return Abandoned(attempts)
