"""The delivery policy: every row of the semantics table, as a parametrized table."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from callstream.config.services import RetrySchedule
from injector.policy import (
    Decision,
    Done,
    Failure,
    Final,
    Halt,
    Reply,
    Result,
    RetryAfter,
    backoff,
    before_send,
    decide,
    parse_retry_after,
)

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
FAR = NOW + timedelta(minutes=5)
SCHEDULE = RetrySchedule(
    initial_s=0.2, multiplier=2.0, max_backoff_s=10.0, jitter=0.0, max_attempts=8,
    max_age_s=120.0, floor_s=1.0,
)  # fmt: skip


def run(
    result: Result,
    *,
    attempt: int = 1,
    age_s: float = 0.0,
    expires_at: datetime = FAR,
    schedule: RetrySchedule = SCHEDULE,
) -> Decision:
    return decide(
        result,
        attempt=attempt,
        age_s=age_s,
        now=NOW,
        expires_at=expires_at,
        schedule=schedule,
        rng=random.Random(0),
    )


@pytest.mark.parametrize(
    ("result", "attempt", "expected"),
    [
        # 2xx: done
        (Reply(200), 1, Done(200)),
        (Reply(202), 3, Done(202)),
        (Reply(204), 1, Done(204)),
        # the call is gone: call_ended, once, no retry
        (Reply(404, error_codes=("10005",)), 1, Final("call_ended", "")),
        (Reply(404), 5, Final("call_ended", "")),
        (Reply(422, error_codes=("90018",)), 1, Final("call_ended", "")),
        # other 4xx: rejected, no retry
        (Reply(422, error_codes=("10015",)), 1, Final("rejected", "")),
        (Reply(422), 1, Final("rejected", "")),
        (Reply(400), 1, Final("rejected", "")),
        (Reply(409), 1, Final("rejected", "")),
        (Reply(413), 1, Final("rejected", "")),
        (Reply(301), 1, Final("rejected", "")),
        # credentials wrong: halt
        (Reply(401, error_codes=("10009",)), 1, Halt("")),
        (Reply(403), 2, Halt("")),
        # 429 honours Retry-After (seconds or HTTP-date), never below the floor
        (Reply(429, retry_after="3"), 1, RetryAfter(3.0, "")),
        (Reply(429, retry_after="2.5"), 1, RetryAfter(2.5, "")),
        (Reply(429, retry_after="0"), 1, RetryAfter(1.0, "")),
        (Reply(429, retry_after="Sat, 01 Jun 2025 12:00:07 GMT"), 1, RetryAfter(7.0, "")),
        (Reply(429, retry_after="Sat, 01 Jun 2025 11:00:00 GMT"), 1, RetryAfter(1.0, "")),
        (Reply(429), 1, RetryAfter(1.0, "")),
        (Reply(429, retry_after="soon"), 6, RetryAfter(6.4, "")),
        # 5xx: exponential backoff, or Retry-After when the server gives one
        (Reply(500), 1, RetryAfter(0.2, "")),
        (Reply(502), 2, RetryAfter(0.4, "")),
        (Reply(503), 3, RetryAfter(0.8, "")),
        (Reply(503, retry_after="2"), 1, RetryAfter(2.0, "")),
        (Reply(504), 7, RetryAfter(10.0, "")),
        # timeouts: backoff with the floor; connection errors: backoff
        (Failure("timeout"), 1, RetryAfter(1.0, "")),
        (Failure("timeout"), 5, RetryAfter(3.2, "")),
        (Failure("connection", "refused"), 1, RetryAfter(0.2, "")),
        (Failure("connection"), 3, RetryAfter(0.8, "")),
        # out of attempts: failed
        (Reply(503), 8, Final("failed", "")),
        (Failure("timeout"), 8, Final("failed", "")),
        # ... except after a 429: "not now" is bounded by age and expiry, not by count
        (Reply(429, retry_after="1"), 8, RetryAfter(1.0, "")),
        (Reply(429, retry_after="1"), 50, RetryAfter(1.0, "")),
    ],
)
def test_decision_per_reply(result: Result, attempt: int, expected: Decision) -> None:
    """Each reply or failure leads to the decision the semantics table gives it."""
    decision = run(result, attempt=attempt)
    assert type(decision) is type(expected)
    match expected:
        case Done(status):
            assert decision == Done(status)
        case RetryAfter(delay_s, _):
            assert isinstance(decision, RetryAfter)
            assert decision.delay_s == pytest.approx(delay_s)
        case Final(outcome, _):
            assert isinstance(decision, Final)
            assert decision.outcome == outcome
            assert decision.reason


@pytest.mark.parametrize(
    ("result", "age_s", "expires_in_s", "outcome"),
    [
        (Reply(503), 119.9, 300, "failed"),  # the wait would pass max_age_s
        (Reply(429, retry_after="200"), 0, 300, "failed"),  # told to wait past max_age_s
        (Failure("timeout"), 0, 0.5, "expired"),  # the wait would pass expires_at
        (Reply(503, retry_after="30"), 0, 20, "expired"),
    ],
)
def test_retries_are_bounded_by_age_and_expiry(
    result: Result, age_s: float, expires_in_s: float, outcome: str
) -> None:
    """A retry that would end past max_age_s fails; one past expires_at expires."""
    decision = run(result, age_s=age_s, expires_at=NOW + timedelta(seconds=expires_in_s))
    assert isinstance(decision, Final)
    assert decision.outcome == outcome


@pytest.mark.parametrize(
    ("expires_in_s", "sent"), [(-1.0, False), (0.0, False), (0.001, True), (300.0, True)]
)
def test_an_injection_past_its_expiry_is_not_sent(expires_in_s: float, sent: bool) -> None:
    """before_send says expired once expires_at is reached, and nothing before."""
    verdict = before_send(now=NOW, expires_at=NOW + timedelta(seconds=expires_in_s))
    if sent:
        assert verdict is None
    else:
        assert verdict is not None
        assert verdict.outcome == "expired"


def test_backoff_grows_is_capped_and_jitter_stays_within_its_share() -> None:
    """Waits double per attempt up to max_backoff_s; jitter moves each by at most its share."""
    exact = [backoff(n, SCHEDULE, random.Random(1)) for n in range(1, 10)]
    assert exact == pytest.approx([0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 10.0, 10.0, 10.0])
    jittered = SCHEDULE.model_copy(update={"jitter": 0.2})
    rng = random.Random(3)
    waits = [backoff(3, jittered, rng) for _ in range(500)]
    assert all(0.64 <= w <= 0.96 for w in waits)
    assert len({round(w, 6) for w in waits}) > 100, "jitter spreads retries out"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5", 5.0),
        (" 1.5 ", 1.5),
        ("Sat, 01 Jun 2025 12:01:00 GMT", 60.0),
        ("-3", None),
        ("nan", None),
        ("inf", None),
        ("tomorrow", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_parsing(value: str | None, seconds: float | None) -> None:
    """Retry-After is delta-seconds or an HTTP-date; anything else is ignored."""
    assert parse_retry_after(value, now=NOW) == seconds
