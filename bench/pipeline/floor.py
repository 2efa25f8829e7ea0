"""The floor: three raw Kafka hops and one raw HTTP request, the least the pipeline's path costs.

The generator produces each floor event to ``hop0``; a relay process
consumes it and produces it to ``hop1``, a second relay to ``hop2``; the
sender process consumes ``hop2`` and POSTs an Add Messages request to the
emulator, where its arrival is read exactly as callstream's are. Each hop
uses callstream's own client settings (``producer_config``,
``consumer_config``: acks=all, idempotence, read_committed), consumes
without waiting for a batch to fill, and does nothing else: no decoding, no
state, no ordering per call, no outcome records. So the floor is what this
broker, these clients and this machine allow for the longest of
callstream's paths (a CRM event: source topic, ``streams.by-call``,
``injections``, then the remote), measured in the same run, under the same
neighbours.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import threading
import uuid
from multiprocessing.synchronize import Event

import aiohttp
from confluent_kafka import Consumer, Message, Producer

from callstream.kafka import KafkaConnection, consumer_config, producer_config
from callstream.pathsegment import encode_segment

POLL_S = 0.05
BATCH = 500


def _consumer(bootstrap: str, topic: str) -> Consumer:
    conn = KafkaConnection(bootstrap_servers=bootstrap)
    consumer = Consumer(consumer_config(conn, "bench-floor", f"bench-floor-{uuid.uuid4()}"))
    consumer.subscribe([topic])
    return consumer


def _batch(consumer: Consumer) -> list[Message]:
    first = consumer.poll(POLL_S)
    if first is None:
        return []
    return [m for m in [first, *consumer.consume(BATCH - 1, timeout=0)] if m.error() is None]


def relay(bootstrap: str, source: str, target: str, stop: Event) -> None:
    """Forward every record of ``source`` to ``target`` until ``stop``."""
    consumer = _consumer(bootstrap, source)
    producer = Producer(
        producer_config(KafkaConnection(bootstrap_servers=bootstrap), "bench-floor")
    )
    while not stop.is_set():
        batch = _batch(consumer)
        for message in batch:
            producer.produce(target, message.value(), message.key())
        producer.poll(0)
        if batch:
            consumer.commit(asynchronous=True)
    producer.flush(10)
    consumer.close()


def send(bootstrap: str, source: str, base_url: str, api_key: str, stop: Event) -> None:
    """POST one Add Messages request per record of ``source`` until ``stop``."""
    asyncio.run(_send(bootstrap, source, base_url, api_key, stop))


async def _send(bootstrap: str, source: str, base_url: str, api_key: str, stop: Event) -> None:
    loop = asyncio.get_running_loop()
    arrived: asyncio.Queue[list[Message]] = asyncio.Queue()
    done = threading.Event()

    def consume() -> None:
        consumer = _consumer(bootstrap, source)
        while not stop.is_set():
            batch = _batch(consumer)
            if batch:
                loop.call_soon_threadsafe(arrived.put_nowait, batch)
                consumer.commit(asynchronous=True)
        consumer.close()
        done.set()

    threading.Thread(target=consume, name="floor-consumer", daemon=True).start()
    headers = {"Authorization": f"Bearer {api_key}"}
    tasks: set[asyncio.Task[None]] = set()
    async with aiohttp.ClientSession(
        base_url=base_url.rstrip("/") + "/",
        connector=aiohttp.TCPConnector(limit=1000),
        headers=headers,
    ) as session:

        async def post(value: bytes) -> None:
            record = json.loads(value)
            path = f"calls/{encode_segment(record['call'])}/actions/ai_assistant_add_messages"
            body = {
                "messages": [{"role": "system", "content": f"[FLOOR] event {record['seq']}"}],
                "command_id": record["command_id"],
            }
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.post(path, json=body) as response:
                    await response.read()

        while not done.is_set():
            try:
                batch = await asyncio.wait_for(arrived.get(), timeout=0.5)
            except TimeoutError:
                continue
            for message in batch:
                task = asyncio.create_task(post(message.value() or b"{}"))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=10)


class FloorChain:
    """The relays and the sender, each a process of its own (as each service is)."""

    def __init__(self, bootstrap: str, topics: list[str], base_url: str, api_key: str) -> None:
        if len(topics) != 3:
            raise ValueError("the floor chain takes three topics: hop0, hop1, hop2")
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._processes = [
            context.Process(target=relay, args=(bootstrap, topics[0], topics[1], self._stop)),
            context.Process(target=relay, args=(bootstrap, topics[1], topics[2], self._stop)),
            context.Process(
                target=send, args=(bootstrap, topics[2], base_url, api_key, self._stop)
            ),
        ]

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes if p.pid is not None]

    def start(self) -> None:
        for process in self._processes:
            process.start()

    def stop(self) -> None:
        self._stop.set()
        for process in self._processes:
            process.join(30)
            if process.is_alive():
                process.kill()
                process.join(5)
