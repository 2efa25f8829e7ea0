"""The life of a loop over a subscribed consumer, shared by the join and the sources router.

Subscribe with the loop's rebalance callbacks, step until told to stop, settle
what was decided (outputs acknowledged, offsets committed), then close the
consumer: closing revokes whatever is still assigned, which settles it again
through the loop's own ``on_revoke``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

import structlog
from confluent_kafka import Consumer, TopicPartition

log = structlog.get_logger(__name__)


class SubscribedLoop(Protocol):
    """What ``run_subscribed`` drives: one step at a time, and the rebalance callbacks."""

    def step(self) -> None: ...

    def settle(self) -> None: ...

    def on_assign(self, consumer: Consumer, assigned: list[TopicPartition]) -> None: ...

    def on_revoke(self, consumer: Consumer, revoked: list[TopicPartition]) -> None: ...

    def on_lost(self, consumer: Consumer, lost: list[TopicPartition]) -> None: ...


def run_subscribed(
    consumer: Consumer,
    topics: Sequence[str],
    loop: SubscribedLoop,
    stop: threading.Event,
    *,
    name: str,
) -> None:
    """Run ``loop`` on ``consumer`` until ``stop`` is set; ``name`` names it in the log."""
    consumer.subscribe(
        list(topics), on_assign=loop.on_assign, on_revoke=loop.on_revoke, on_lost=loop.on_lost
    )
    try:
        while not stop.is_set():
            loop.step()
        loop.settle()
    finally:
        consumer.close()
        log.info("loop_stopped", loop=name)
