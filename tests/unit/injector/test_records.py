"""What each outcome becomes on Kafka, and how acknowledgements finish an offset."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from callstream.records import DeadLetter, Delivery, Outcome, decode
from callstream.records.followups import undelivered_reason
from injector.delivery import Finished
from injector.jobs import Job, undelivered_for, writes_for
from injector.recorder import Recorder
from tests.unit.injector.factories import T0, make_injection


def job() -> Job:
    injection = make_injection()
    return Job(3, 41, 1, b"v3:call-1", b"original bytes", injection)


@pytest.mark.parametrize(
    ("outcome", "dead_lettered"),
    [
        ("delivered", False),
        ("call_ended", False),
        ("rejected", True),
        ("failed", True),
        ("expired", True),
    ],
)
def test_each_outcome_is_a_delivery_and_failures_also_a_dead_letter(
    outcome: Outcome, dead_lettered: bool
) -> None:
    """Every outcome gets a delivery record; failures also the original bytes for the DLQ."""
    at = T0 + timedelta(seconds=2)
    delivery, letter = writes_for(job(), Finished(outcome, 503, 2, at, "why"), topic="p.injections")
    assert (delivery.outcome, delivery.attempts, delivery.status_code) == (outcome, 2, 503)
    if outcome == "delivered":
        assert delivery.latency_ms == pytest.approx(3000.0), "from cause_at to the 2xx"
    else:
        assert delivery.latency_ms is None
    assert (letter is not None) is dead_lettered
    if letter is not None:
        assert (letter.key, letter.value) == (b"v3:call-1", b"original bytes")
        meta = DeadLetter.from_headers(letter.letter.headers())
        assert (meta.stage, meta.reason, meta.topic, meta.partition, meta.offset) == (
            "injector",
            outcome,
            "p.injections",
            3,
            41,
        )


class FakeProducer:
    """Holds produced records until the test acknowledges them."""

    def __init__(self, *, full_times: int = 0) -> None:
        self.records: list[tuple[str, Any, Any, Any]] = []
        self.callbacks: list[Any] = []
        self._full = full_times

    def produce(  # noqa: PLR0917 - mirrors confluent_kafka.Producer.produce
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        partition: int = -1,
        callback: Any = None,
        on_delivery: Any = None,
        timestamp: int = 0,
        headers: Any = None,
    ) -> None:
        if self._full:
            self._full -= 1
            raise BufferError("queue full")
        self.records.append((topic, key, value, headers))
        self.callbacks.append(on_delivery)

    def poll(self, timeout: float = 0) -> int:
        return 0

    def flush(self, timeout: float = 0) -> int:
        return 0

    def close(self) -> bool:
        return True


def test_an_offset_finishes_only_when_every_write_is_acknowledged() -> None:
    """With a delivery and a dead letter, on_recorded waits for both acks."""
    producer = FakeProducer(full_times=2)
    failures: list[str] = []
    recorder = Recorder(producer, deliveries_topic="d", dlq_topic="q", on_failure=failures.append)
    delivery, letter = writes_for(job(), Finished("failed", 503, 8, T0, "gave up"), topic="i")
    assert letter is not None
    done: list[bool] = []
    recorder.record(delivery, letter, lambda: done.append(True))
    assert [r[0] for r in producer.records] == ["d", "q"]
    assert decode(Delivery, producer.records[0][2]) == delivery
    assert recorder.outstanding == 2
    producer.callbacks[0](None, object())
    assert done == []
    producer.callbacks[1](None, object())
    assert done == [True]
    assert (recorder.outstanding, failures) == (0, [])


def test_a_refused_write_never_finishes_its_offset() -> None:
    """A write the broker refuses reports a failure once and leaves the offset open."""
    producer = FakeProducer()
    failures: list[str] = []
    recorder = Recorder(producer, deliveries_topic="d", dlq_topic="q", on_failure=failures.append)
    _, letter = writes_for(job(), Finished("rejected", 400, 1, T0), topic="i")
    assert letter is not None
    done: list[bool] = []
    recorder.record(None, letter, lambda: done.append(True))
    producer.callbacks[0]("broker said no", object())
    assert done == []
    assert len(failures) == 1
    assert "broker said no" in failures[0]


@pytest.mark.parametrize(
    ("outcome", "undelivered"),
    [
        ("delivered", False),
        ("call_ended", True),
        ("expired", True),
        ("rejected", False),
        ("failed", False),
    ],
)
def test_what_the_call_never_heard_also_goes_to_undelivered(
    outcome: Outcome, undelivered: bool
) -> None:
    """call_ended and expired injections are written unchanged to ``undelivered``, with the
    outcome in a header, and the offset waits for that write too."""
    producer = FakeProducer()
    recorder = Recorder(
        producer, deliveries_topic="d", dlq_topic="q", undelivered_topic="u", on_failure=print
    )
    ending = Finished(outcome, 422, 1, T0, "why")
    delivery, letter = writes_for(job(), ending, topic="i")
    done: list[bool] = []
    later = undelivered_for(job(), ending)
    recorder.record(delivery, letter, lambda: done.append(True), undelivered=later)
    found = [r for r in producer.records if r[0] == "u"]
    if not undelivered:
        assert found == []
        return
    [(_, key, value, headers)] = found
    assert (key, value) == (b"v3:call-1", b"original bytes")
    assert undelivered_reason(headers) == outcome
    for callback in producer.callbacks:
        assert done == []
        callback(None, object())
    assert done == [True]
