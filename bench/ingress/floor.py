"""The floor: what confluent-kafka alone achieves on the same broker, and the publisher choice.

``raw_floor`` measures the producer with no HTTP and no asyncio at all
(produce, then serve delivery reports until the acknowledgement): one record
at a time, at the benchmark's offered rate, and flat out. The ingress's
figures are reported as ratios of these.

``compare_publishers`` is the measurement DESIGN.md asks for before choosing
how the ingress awaits acknowledgements: ``confluent_kafka.aio.AIOProducer``
(defaults, and tuned for latency) against the plain ``Producer`` with a
delivery callback resolving an asyncio future from a polling thread, which
is ``ingress.kafka_publisher.KafkaPublisher`` itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.aio import AIOProducer

from bench.ingress.stats import summary
from ingress.kafka_publisher import KafkaPublisher

VALUE = b'{"request_id": "bench", "tool": "lookup_order_status", "arguments": {"order_id": "1"}}'


def _key(n: int) -> bytes:
    return f"v3:bench-call-{n % 1000:04d}".encode()


def raw_floor(
    config: dict[str, Any], topic: str, *, rate: float, duration_s: float, burst: int
) -> dict[str, object]:
    """Sequential, paced and flat-out produce-to-ack figures of a bare producer."""
    producer = Producer(config)
    producer.produce(topic, VALUE, _key(0))
    producer.flush(30)  # connection, metadata and producer id out of the way

    sequential: list[float] = []
    acked: list[float] = []
    for n in range(500):
        acked.clear()
        started = time.perf_counter()
        producer.produce(
            topic, VALUE, _key(n), on_delivery=lambda _e, _m: acked.append(time.perf_counter())
        )
        while not acked:
            producer.poll(1.0)
        sequential.append(acked[0] - started)

    paced: list[float] = []
    total = int(rate * duration_s)
    start = time.perf_counter() + 0.01
    for n in range(total):
        due = start + n / rate
        while (wait := due - time.perf_counter()) > 0:
            producer.poll(wait)

        def on_paced(err: object, _m: object, due: float = due) -> None:
            if err is None:
                paced.append(time.perf_counter() - due)

        producer.produce(topic, VALUE, _key(n), on_delivery=on_paced)
        producer.poll(0)
    producer.flush(60)
    paced_elapsed = time.perf_counter() - start

    flat: list[float] = []
    started = time.perf_counter()
    for n in range(burst):
        sent = time.perf_counter()

        def on_flat(err: object, _m: object, sent: float = sent) -> None:
            if err is None:
                flat.append(time.perf_counter() - sent)

        while True:
            try:
                producer.produce(topic, VALUE, _key(n), on_delivery=on_flat)
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    producer.flush(120)
    flat_elapsed = time.perf_counter() - started
    return {
        "sequential": summary(sequential, sum(sequential)),
        "paced": summary(paced, paced_elapsed) | {"offered_per_s": rate},
        "saturation": summary(flat, flat_elapsed),
    }


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
