"""The floor: what confluent-kafka alone achieves on the same broker, and the publisher choice.

``BareProducer`` measures the producer with no HTTP and no asyncio at all
(produce, then serve delivery reports until the acknowledgement): one record
at a time, at the benchmark's offered rate, and flat out. The ingress's
figures are reported as ratios of these.

``compare_publishers`` is the measurement behind the choice of how the ingress
awaits acknowledgements (README, *Ingress*, *Design notes*): ``confluent_kafka.aio.AIOProducer``
(defaults, and tuned for latency) against the plain ``Producer`` with a
delivery callback resolving an asyncio future from a polling thread, which
is ``ingress.kafka_publisher.KafkaPublisher`` itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.aio import AIOProducer

from devkit.stats import percentile
from ingress.kafka_publisher import KafkaPublisher

VALUE = b'{"request_id": "bench", "tool": "lookup_order_status", "arguments": {"order_id": "1"}}'


def summary(latencies_s: Sequence[float], elapsed_s: float) -> dict[str, float | int | None]:
    """Count, rate and p50/p99/max in milliseconds."""
    ordered = sorted(latencies_s)

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 3)

    return {
        "count": len(ordered),
        "per_s": round(len(ordered) / elapsed_s, 1) if elapsed_s > 0 else None,
        "p50_ms": ms(percentile(ordered, 0.50)),
        "p99_ms": ms(percentile(ordered, 0.99)),
        "max_ms": ms(ordered[-1] if ordered else None),
    }


def _key(n: int) -> bytes:
    return f"v3:bench-call-{n % 1000:04d}".encode()


class BareProducer:
    """A confluent-kafka producer with the ingress's settings and nothing else around it."""

    def __init__(self, config: dict[str, Any], topic: str) -> None:
        self._producer = Producer(config)
        self._topic = topic

    def warm_up(self, records: int) -> None:
        """Connection, metadata, producer id and the broker's JIT out of the way."""
        for n in range(records):
            self._produce(n, None)
        self._producer.flush(120)

    def _produce(self, n: int, on_delivery: Callable[[Any, Any], None] | None) -> None:
        while True:
            try:
                self._producer.produce(self._topic, VALUE, _key(n), on_delivery=on_delivery)
                break
            except BufferError:
                self._producer.poll(0.01)
        self._producer.poll(0)

    def sequential(self, records: int = 500) -> dict[str, object]:
        """One record at a time: produce, then serve reports until its acknowledgement."""
        latencies: list[float] = []
        acked: list[float] = []
        for n in range(records):
            acked.clear()
            started = time.perf_counter()
            self._produce(n, lambda _e, _m: acked.append(time.perf_counter()))
            while not acked:
                self._producer.poll(1.0)
            latencies.append(acked[0] - started)
        return summary(latencies, sum(latencies))

    def paced(self, rate: float, duration_s: float) -> dict[str, object]:
        """At a fixed rate; each latency from the record's due time to its acknowledgement."""
        latencies: list[float] = []
        start = time.perf_counter() + 0.01
        for n in range(int(rate * duration_s)):
            due = start + n / rate
            while (wait := due - time.perf_counter()) > 0:
                self._producer.poll(wait)

            def acked(err: object, _m: object, due: float = due) -> None:
                if err is None:
                    latencies.append(time.perf_counter() - due)

            self._produce(n, acked)
        self._producer.flush(60)
        return summary(latencies, time.perf_counter() - start) | {"offered_per_s": rate}

    def flat_out(self, records: int) -> dict[str, object]:
        """As fast as the bounded queue takes them; acknowledgements per second."""
        latencies: list[float] = []
        started = time.perf_counter()
        for n in range(records):
            sent = time.perf_counter()

            def acked(err: object, _m: object, sent: float = sent) -> None:
                if err is None:
                    latencies.append(time.perf_counter() - sent)

            self._produce(n, acked)
        self._producer.flush(120)
        return summary(latencies, time.perf_counter() - started)


Publish = Callable[[int], Awaitable[None]]


async def _workloads(
    publish: Publish, *, rate: float, duration_s: float, burst: int, sequential_budget_s: float
) -> dict[str, object]:
    sequential: list[float] = []
    deadline = time.perf_counter() + sequential_budget_s
    n = 0
    while n < 200 and time.perf_counter() < deadline:
        started = time.perf_counter()
        await publish(n)
        sequential.append(time.perf_counter() - started)
        n += 1

    paced: list[float] = []

    async def timed(n: int, due: float) -> None:
        await publish(n)
        paced.append(time.perf_counter() - due)

    tasks = []
    total = int(rate * duration_s)
    start = time.perf_counter() + 0.01
    for n in range(total):
        due = start + n / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(timed(n, due)))
    await asyncio.gather(*tasks)
    paced_elapsed = time.perf_counter() - start

    flat: list[float] = []
    started = time.perf_counter()

    async def flat_one(n: int) -> None:
        sent = time.perf_counter()
        await publish(n)
        flat.append(time.perf_counter() - sent)

    await asyncio.gather(*(flat_one(n) for n in range(burst)))
    flat_elapsed = time.perf_counter() - started
    return {
        "sequential": summary(sequential, sum(sequential)),
        "paced": summary(paced, paced_elapsed) | {"offered_per_s": rate},
        "burst": summary(flat, flat_elapsed),
    }


async def compare_publishers(
    config: dict[str, Any], topic: str, *, rate: float, duration_s: float, burst: int
) -> dict[str, object]:
    """The same three workloads through each way of awaiting an acknowledgement in asyncio."""
    results: dict[str, object] = {}

    publisher = KafkaPublisher(config)
    await publisher.start()
    await publisher.publish(topic, _key(0), VALUE)
    results["producer+poll_thread (chosen)"] = await _workloads(
        lambda n: publisher.publish(topic, _key(n), VALUE),
        rate=rate,
        duration_s=duration_s,
        burst=burst,
        sequential_budget_s=5,
    )
    await publisher.stop()

    for name, options in {
        "AIOProducer defaults (batch 1000, 1 s buffer)": {},
        "AIOProducer batch_size=1": {"batch_size": 1, "buffer_timeout": 0.001},
    }.items():
        aio = AIOProducer(dict(config), **options)

        async def publish(n: int, aio: AIOProducer = aio) -> None:
            delivered = await aio.produce(topic, VALUE, _key(n))
            await delivered

        await publish(0)
        results[name] = await _workloads(
            publish, rate=rate, duration_s=duration_s, burst=burst, sequential_budget_s=5
        )
        await aio.close()
    return results
