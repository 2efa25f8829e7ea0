"""A poll loop's next batch: at once when idle or alone, a little later when busy."""

from __future__ import annotations

from typing import Any, cast

import pytest
from confluent_kafka import Consumer

from callstream.kafka.batches import take


class ScriptedConsumer:
    """Answers ``poll`` and each ``consume`` from a script, and notes how it was asked."""

    def __init__(self, first: str | None, *consumed: list[str]) -> None:
        self._first = first
        self._consumed = list(consumed)
        self.calls: list[tuple[str, int, float]] = []

    def poll(self, timeout: float) -> str | None:
        self.calls.append(("poll", 1, timeout))
        return self._first

    def consume(self, num_messages: int, timeout: float) -> list[str]:
        self.calls.append(("consume", num_messages, timeout))
        return self._consumed.pop(0) if self._consumed else []


def _take(consumer: ScriptedConsumer, **options: Any) -> list[Any]:
    return take(cast(Consumer, consumer), most=10, wait_s=0.05, **options)


def test_an_idle_loop_waits_for_the_first_record_only() -> None:
    consumer = ScriptedConsumer(None)
    assert _take(consumer, gather_s=0.005) == []
    assert consumer.calls == [("poll", 1, 0.05)]


def test_a_lone_record_never_waits_for_company() -> None:
    consumer = ScriptedConsumer("a", [])
    assert _take(consumer, gather_s=0.005) == ["a"]
    assert consumer.calls == [("poll", 1, 0.05), ("consume", 9, 0)]


def test_records_queued_behind_the_first_make_it_gather_the_ones_in_flight() -> None:
    consumer = ScriptedConsumer("a", ["b", "c"], ["d"])
    assert _take(consumer, gather_s=0.005) == ["a", "b", "c", "d"]
    assert consumer.calls[-1] == ("consume", 7, 0.005)


@pytest.mark.parametrize(
    ("gather_s", "queued"),
    [(0.0, ["b", "c"]), (0.005, [str(n) for n in range(9)])],
    ids=["gathering off", "batch already full"],
)
def test_no_gathering_when_off_or_full(gather_s: float, queued: list[str]) -> None:
    consumer = ScriptedConsumer("a", queued, ["late"])
    assert _take(consumer, gather_s=gather_s) == ["a", *queued]
    assert len(consumer.calls) == 2
