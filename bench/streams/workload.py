"""The benchmark's input: calls whose records mix every kind the worker joins.

Each call contributes six records — its start, a tool request and its
result, a supervisor note, a CRM event naming the call, a fraud alert found
by the caller's phone number (the correlation path) — and four injections.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

from confluent_kafka import Producer

from callstream.kafka import KafkaConnection, producer_config
from callstream.records import encode
from callstream.topics import Topics
from streams import testing as build

RECORDS_PER_CALL = 6
INJECTIONS_PER_CALL = 4


@dataclass(frozen=True)
class Item:
    topic: str
    key: bytes
    value: bytes
    cause: str | None
    """The injection cause id this record leads to, if any."""


def call_records(topics: Topics, tag: str, i: int) -> list[Item]:
    """The six records of call number ``i`` of run ``tag``."""
    call = f"v3:{tag}-{i}"
    phone = f"+1555{i % 10_000_000:07d}"
    key = call.encode()
    crm = build.source_event(f"C-{tag}-{i}", "order.updated", {"order": i}, call=call)
    fraud = build.source_event(f"F-{tag}-{i}", "fraud.alert", {"risk": "high"}, phone=phone)
    return [
        Item(
            topics.call_events,
            key,
            encode(build.call_event(call, "call.initiated", from_=phone)),
            None,
        ),
        Item(
            topics.tool_calls,
            key,
            encode(build.tool_call(call, f"r-{tag}-{i}", "lookup_order_status", order_id=f"O-{i}")),
            None,
        ),
        Item(
            topics.tool_results,
            key,
            encode(
                build.tool_result(
                    call,
                    f"r-{tag}-{i}",
                    "lookup_order_status",
                    {"status": "SHIPPED", "eta": "tomorrow"},
                )
            ),
            f"r-{tag}-{i}",
        ),
        Item(
            topics.supervisor,
            key,
            encode(build.supervisor(call, f"m-{tag}-{i}", "Offer the voucher.")),
            f"m-{tag}-{i}",
        ),
        Item(topics.source("crm"), key, crm, f"C-{tag}-{i}"),
        Item(topics.source("fraud"), phone.encode(), fraud, f"F-{tag}-{i}"),
    ]


def live_call_records(topics: Topics, tag: str, i: int) -> list[Item]:
    """A call that stays live with a pending tool request (for the memory measurement)."""
    call = f"v3:{tag}-{i}"
    key = call.encode()
    return [
        Item(
            topics.call_events,
            key,
            encode(build.call_event(call, "call.initiated", from_=f"+1666{i:07d}")),
            None,
        ),
        Item(
            topics.tool_calls,
            key,
            encode(build.tool_call(call, f"r-{tag}-{i}", "lookup_order_status", order_id=f"O-{i}")),
            None,
        ),
    ]


class Loader:
    """Produces items, stamping each with the time it was handed to the producer."""

    def __init__(self, conn: KafkaConnection) -> None:
        self._producer = Producer(producer_config(conn, "bench-loader", {"linger.ms": 5}))
        self.sent_at: dict[str, float] = {}

    def send(self, items: list[Item]) -> None:
        for item in items:
            now = time.time()
            if item.cause is not None:
                self.sent_at[item.cause] = now
            while True:
                try:
                    self._producer.produce(
                        item.topic, key=item.key, value=item.value, timestamp=int(now * 1000)
                    )
                    break
                except BufferError:
                    self._producer.poll(0.05)
            self._producer.poll(0)

    def flush(self) -> None:
        self._producer.flush(60)


def paced(items: list[Item], rate: float) -> Iterator[list[Item]]:
    """``items`` in slices of 10 ms worth at ``rate`` records per second."""
    step = max(1, int(rate / 100))
    for start in range(0, len(items), step):
        yield items[start : start + step]


def cause_of(value: bytes) -> str:
    return str(json.loads(value)["cause_id"])
