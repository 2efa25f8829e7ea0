"""What to do after each Add Messages attempt: the injector's delivery policy, as pure functions.

Given the remote's reply (status, ``Retry-After``, error codes) or the kind of
transport failure, the attempt number, the delivery's age, the time, the
injection's expiry and the retry schedule, ``decide`` returns one of:

- ``Done``: accepted (2xx);
- ``RetryAfter(delay)``: try again after ``delay`` seconds;
- ``Final(outcome)``: stop, record ``outcome`` (``call_ended``, ``rejected``,
  ``failed``, ``expired``);
- ``Halt``: the credentials are wrong; stop consuming altogether.

=====================  ==============================================================
reply                  decision
=====================  ==============================================================
2xx                    Done
404                    Final call_ended (never retried)
422 + code 90018       Final call_ended (never retried)
401, 403               Halt
429                    retry after max(Retry-After, floor), else backoff (floor applies)
5xx                    retry after Retry-After if given, else exponential backoff
timeout                retry after max(backoff, floor)
connection error       retry after backoff
other 4xx, 1xx, 3xx    Final rejected
=====================  ==============================================================

A retry is given up as ``failed`` when the attempts reach ``max_attempts`` or
the wait would carry the delivery past ``max_age_s``, and as ``expired`` when
it would carry it past the injection's ``expires_at``. A 429 is the remote
saying "not now", never "no": it is bounded by ``max_age_s`` and
``expires_at`` only, so a rate-limit window longer than ``max_attempts``
waits cannot dead-letter a message the remote would take a moment later.
``before_send`` says an injection already past ``expires_at`` is ``expired``
without sending it.

No I/O, no clock, no global randomness here: time and the random source are
arguments, so every row above is a unit-test case.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Literal

from callstream.config.services import RetrySchedule
from callstream.records import Outcome

CALL_ENDED_CODE = "90018"

FailureKind = Literal["timeout", "connection"]


@dataclass(frozen=True)
class Reply:
    """What the remote answered."""

    status: int
    retry_after: str | None = None
    error_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failure:
    """No reply: the request timed out or the connection failed."""

    kind: FailureKind
    detail: str = ""


Result = Reply | Failure


@dataclass(frozen=True)
class Done:
    """Accepted by the remote."""

    status: int


@dataclass(frozen=True)
class RetryAfter:
    """Try again after ``delay_s`` seconds."""

    delay_s: float
    reason: str


@dataclass(frozen=True)
class Final:
    """Stop trying and record ``outcome``."""

    outcome: Outcome
    reason: str


@dataclass(frozen=True)
class Halt:
    """The remote refuses our credentials: stop consuming, say so, stay up."""

    reason: str


Decision = Done | RetryAfter | Final | Halt


def before_send(*, now: datetime, expires_at: datetime) -> Final | None:
    """``expired`` when the injection is already past its expiry, else ``None`` (send it)."""
    if now >= expires_at:
        return Final("expired", f"past expires_at {expires_at.isoformat()}; not sent")
    return None


def backoff(attempt: int, schedule: RetrySchedule, rng: random.Random) -> float:
    """Exponential backoff for the wait after ``attempt`` (1-based), with proportional jitter."""
    base = min(schedule.max_backoff_s, schedule.initial_s * schedule.multiplier ** (attempt - 1))
    spread = base * schedule.jitter
    return max(0.0, min(schedule.max_backoff_s, base + rng.uniform(-spread, spread)))


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait per ``Retry-After`` (delta-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        return max(0.0, (when - now).total_seconds())
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def decide(
    result: Result,
    *,
    attempt: int,
    age_s: float,
    now: datetime,
    expires_at: datetime,
    schedule: RetrySchedule,
    rng: random.Random,
) -> Decision:
    """The decision after attempt number ``attempt`` (1-based) produced ``result``.

    ``age_s`` is how long this delivery has been trying (since its first attempt).
    """
    if isinstance(result, Reply):
        verdict = _verdict(result)
        if verdict is not None:
            return verdict
        floor = schedule.floor_s if result.status == 429 else 0.0
        told = parse_retry_after(result.retry_after, now=now)
        wait = told if told is not None else backoff(attempt, schedule, rng)
        wait, reason = max(wait, floor), str(result.status)
    else:
        wait = backoff(attempt, schedule, rng)
        if result.kind == "timeout":
            wait = max(wait, schedule.floor_s)
        reason = f"{result.kind}: {result.detail}" if result.detail else result.kind
    rate_limited = isinstance(result, Reply) and result.status == 429
    return _retry(
        wait,
        reason,
        attempt=None if rate_limited else attempt,
        age_s=age_s,
        now=now,
        expires_at=expires_at,
        schedule=schedule,
    )


def _verdict(reply: Reply) -> Decision | None:
    """The decision a reply settles by itself; None when it calls for a retry."""
    status = reply.status
    if 200 <= status < 300:
        return Done(status)
    if status == 404:
        return Final("call_ended", "404: the call is not known (it has ended)")
    if status == 422 and CALL_ENDED_CODE in reply.error_codes:
        return Final("call_ended", "422/90018: call has already ended")
    if status in (401, 403):
        return Halt(f"{status}: the remote refused the API key")
    if status == 429 or status >= 500:
        return None
    codes = ",".join(reply.error_codes) or "none"
    return Final("rejected", f"{status} (error codes: {codes}): the remote refused it")


def _retry(
    delay_s: float,
    reason: str,
    *,
    attempt: int | None,
    age_s: float,
    now: datetime,
    expires_at: datetime,
    schedule: RetrySchedule,
) -> Decision:
    if attempt is not None and attempt >= schedule.max_attempts:
        return Final("failed", f"{reason}; gave up after {attempt} attempts")
    if age_s + delay_s > schedule.max_age_s:
        return Final(
            "failed",
            f"{reason}; a retry in {delay_s:.1f}s would pass max_age_s={schedule.max_age_s:g}",
        )
    if (expires_at - now).total_seconds() <= delay_s:
        return Final("expired", f"{reason}; a retry in {delay_s:.1f}s would be past expires_at")
    return RetryAfter(delay_s, reason)
