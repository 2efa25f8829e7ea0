"""One delivery's loop: attempts, waits and endings, with scripted replies and no real time."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import pytest

from callstream.config.services import RetrySchedule
from callstream.records import Injection
from injector.delivery import Abandoned, Ending, Finished, Halted, Toolkit, deliver
from injector.policy import Failure, Reply, Result
from tests.unit.injector.factories import T0, make_injection

SCHEDULE = RetrySchedule(initial_s=0.5, jitter=0.0, max_attempts=4, max_age_s=60, floor_s=1.0)


class World:
    """Scripted replies and a clock that moves only when the loop waits."""

    def __init__(self, replies: list[Result], *, withdraw_after_waits: int | None = None) -> None:
        self._replies: Iterator[Result] = iter(replies)
        self.now = 0.0
        self.sent = 0
        self.waits: list[float] = []
        self._withdraw_after = withdraw_after_waits

    async def send(self, _: Injection) -> Result:
        self.sent += 1
        return next(self._replies)

    async def wait(self, delay_s: float) -> bool:
        self.waits.append(delay_s)
        self.now += delay_s
        return self._withdraw_after is None or len(self.waits) < self._withdraw_after

    def kit(self) -> Toolkit:
        return Toolkit(
            send=self.send,
            wait=self.wait,
            may_send=lambda: True,
            wall_clock=lambda: T0 + timedelta(seconds=self.now),
            monotonic=lambda: self.now,
            schedule=SCHEDULE,
            rng=random.Random(0),
        )


@pytest.mark.parametrize(
    ("replies", "expected", "waits"),
    [
        ([Reply(200)], ("delivered", 200, 1), []),
        ([Reply(503), Reply(503), Reply(200)], ("delivered", 200, 3), [0.5, 1.0]),
        ([Failure("timeout"), Reply(200)], ("delivered", 200, 2), [1.0]),
        ([Reply(429, "2"), Reply(422, None, ("90018",))], ("call_ended", 422, 2), [2.0]),
        ([Reply(503)] * 4, ("failed", 503, 4), [0.5, 1.0, 2.0]),
        ([Failure("connection")] * 4, ("failed", None, 4), [0.5, 1.0, 2.0]),
        ([Reply(400)], ("rejected", 400, 1), []),
    ],
)
async def test_attempts_follow_the_policy(
    replies: list[Result], expected: tuple[str, int | None, int], waits: list[float]
) -> None:
    """The loop sends, waits as told, and ends with the outcome, last status and attempt count."""
    world = World(replies)
    ending = await deliver(make_injection(), world.kit())
    assert isinstance(ending, Finished)
    assert (ending.outcome, ending.status, ending.attempts) == expected
    assert world.waits == pytest.approx(waits)


async def test_expired_before_sending_is_never_sent() -> None:
    """An injection already past expires_at ends as expired with zero attempts."""
    world = World([])
    ending = await deliver(make_injection(expires_at=T0 - timedelta(seconds=1)), world.kit())
    assert isinstance(ending, Finished)
    assert (ending.outcome, ending.attempts, world.sent) == ("expired", 0, 0)


async def test_a_refused_key_halts_and_a_withdrawal_abandons() -> None:
    """401 is Halted (nothing recorded); a withdrawal during a wait is Abandoned."""
    halted: Ending = await deliver(make_injection(), World([Reply(401)]).kit())
    assert halted == Halted("401: the remote refused the API key", 1)
    withdrawn = World([Reply(503), Reply(200)], withdraw_after_waits=1)
    assert await deliver(make_injection(), withdrawn.kit()) == Abandoned(1)
    assert withdrawn.sent == 1
