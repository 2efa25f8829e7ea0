"""The floor: a plain confluent-kafka consume-and-produce loop on the same kind of topics.

It does the least any Python join must do — consume each input, produce one
record, commit — so the streams worker's figures can be read against what the
client, the broker and this machine allow in the same run.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Sequence

from confluent_kafka import Consumer, Producer

from callstream.kafka import KafkaConnection, consumer_config, producer_config

IN_TS = "bench.in-ts"


def _loop(bootstrap: str, inputs: Sequence[str], output: str, stop: object) -> None:
    conn = KafkaConnection(bootstrap_servers=bootstrap)
    consumer = Consumer(
        consumer_config(conn, "bench-floor", f"floor-{uuid.uuid4()}", {"fetch.wait.max.ms": 5})
    )
    producer = Producer(producer_config(conn, "bench-floor"))
    consumer.subscribe(list(inputs))
    done = stop  # a multiprocessing.Event
    while not done.is_set():  # type: ignore[attr-defined]
        messages = consumer.consume(500, 0.05)
        for message in messages:
            if message.error():
                continue
            _, stamp = message.timestamp()
            producer.produce(
                output,
                key=message.key(),
                value=message.value(),
                headers=[(IN_TS, str(stamp).encode())],
            )
        producer.poll(0)
        if messages:
            producer.flush(30)
            consumer.commit(asynchronous=False)
    consumer.close()


class Floor:
    """The floor loop in its own process (as the worker is)."""

    def __init__(self, conn: KafkaConnection, inputs: Sequence[str], output: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._process = context.Process(
            target=_loop, args=(conn.bootstrap_servers, list(inputs), output, self._stop)
        )

    def start(self) -> None:
        self._process.start()

    def stop(self) -> None:
        self._stop.set()
        self._process.join(30)
        if self._process.is_alive():
            self._process.kill()
