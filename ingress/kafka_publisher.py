"""``KafkaPublisher``: durable publication over confluent-kafka's ``Producer``.

Each record gets an asyncio future; a dedicated thread polls the producer, and
the delivery reports it collects are handed to the event loop in one batch
per poll, which resolves the futures. This was measured against
``confluent_kafka.aio.AIOProducer`` (``python -m bench.ingress``, README): the
AIOProducer batches in Python and only learns of an acknowledgement at its
next poll, which costs a lone webhook 100 ms to 2 s, and it cannot send headers.

Bounds: the local queue holds at most ``producer_queue_max_messages`` records
and ``producer_queue_max_kbytes``; a full queue raises ``ProducerQueueFull``
at once instead of growing. librdkafka gives up on a record shortly *before*
the caller's deadline (``message_timeout_ms``), so a request answered 503 was
abandoned by the producer, except a record already on the wire, which the
broker may still have written (README: "the residual window"). This module
never logs a record's content.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import structlog
from confluent_kafka import KafkaError as RdKafkaError
from confluent_kafka import KafkaException, Message, Producer

from callstream.config.services import IngressConfig
from callstream.errors import KafkaError, KafkaUnavailable, ProducerQueueFull, PublishFailed
from callstream.kafka import KafkaConnection, producer_config
from callstream.kafka.config import REPEAT_LOG_INTERVAL_S
from callstream.kafka.transient import is_transient
from callstream.throttle import LogThrottle
from ingress.publisher import Headers

log = structlog.get_logger(__name__)

# librdkafka looks for timed-out records about once a second.
_TIMEOUT_SCAN_MS = 1000


def message_timeout_ms(ack_timeout_s: float) -> int:
    """librdkafka's ``message.timeout.ms`` for an HTTP deadline of ``ack_timeout_s``.

    Short of the deadline by librdkafka's scan interval (at most half the
    deadline), so the producer has failed the record before the caller is told.
    """
    deadline_ms = round(ack_timeout_s * 1000)
    return max(10, deadline_ms - min(_TIMEOUT_SCAN_MS, deadline_ms // 2))


def ingress_producer_config(
    conn: KafkaConnection, ingress: IngressConfig, client_id: str = "callstream-ingress"
) -> dict[str, Any]:
    """The shared durable producer configuration, bounded and timed for the ingress."""
    timeout_ms = message_timeout_ms(ingress.ack_timeout_s)
    return producer_config(
        conn,
        client_id,
        overrides={
            "queue.buffering.max.messages": ingress.producer_queue_max_messages,
            "queue.buffering.max.kbytes": ingress.producer_queue_max_kbytes,
            "message.timeout.ms": timeout_ms,
            # How long the broker may wait for in-sync replicas before answering.
            "request.timeout.ms": timeout_ms,
        },
    )


def delivery_error(err: RdKafkaError) -> KafkaError:
    """The callstream error for a failed delivery report: retryable or not."""
    text = f"{err.name()}: {err.str()}"
    if is_transient(err):
        return KafkaUnavailable(text)
    return PublishFailed(text)


class KafkaPublisher:
    """A ``Publisher`` over one librdkafka producer and one polling thread."""

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        on_late_ack: Callable[[], None] = lambda: None,
        poll_interval_s: float = 0.1,
        stop_timeout_s: float = 10.0,
    ) -> None:
        self._config = dict(config)
        self._on_late_ack = on_late_ack
        self._poll_interval_s = poll_interval_s
        self._stop_timeout_s = stop_timeout_s
        self._producer: Producer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._reports: list[tuple[asyncio.Future[None], RdKafkaError | None]] = []
        self._fatal: str | None = None
        self._errors = LogThrottle(REPEAT_LOG_INTERVAL_S)

    @property
    def fatal_error(self) -> str | None:
        return self._fatal

    def queue_length(self) -> int:
        return len(self._producer) if self._producer is not None else 0

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._producer = Producer(self._config | {"error_cb": self._on_error})
        self._thread = threading.Thread(target=self._serve, name="kafka-ack-poller", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        producer, thread = self._producer, self._thread
        if producer is None or thread is None:
            return
        self._stopping.set()
        await asyncio.to_thread(thread.join)
        remaining = await asyncio.to_thread(producer.flush, self._stop_timeout_s)
        self._settle(self._take_reports())
        self._producer = None
        if remaining:
            log.error("kafka_records_unacknowledged_at_stop", count=remaining)

    async def publish(self, topic: str, key: bytes, value: bytes, headers: Headers = ()) -> None:
        producer, loop = self._producer, self._loop
        if producer is None or loop is None:
            raise PublishFailed("the publisher is not running")
        if self._fatal is not None:
            raise PublishFailed(f"the producer failed fatally and must be restarted: {self._fatal}")
        future: asyncio.Future[None] = loop.create_future()
        try:
            producer.produce(
                topic,
                value=value,
                key=key,
                headers=list(headers) or None,
                on_delivery=partial(self._delivered, future),
            )
        except BufferError as exc:
            raise ProducerQueueFull(
                f"the producer's local queue is full ({len(producer)} records)"
            ) from exc
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if isinstance(error, RdKafkaError):
                raise delivery_error(error) from exc
            raise PublishFailed(str(exc)) from exc
        await future

    async def list_topics(self, timeout_s: float) -> frozenset[str]:
        producer = self._producer
        if producer is None:
            raise KafkaUnavailable("the publisher is not running")
        try:
            metadata = await asyncio.to_thread(producer.list_topics, timeout=timeout_s)
        except KafkaException as exc:
            raise KafkaUnavailable(f"no metadata from the cluster: {exc}") from exc
        return frozenset(name for name, topic in metadata.topics.items() if topic.error is None)

    # -- the polling thread ---------------------------------------------------

    def _serve(self) -> None:
        producer, loop = self._producer, self._loop
        assert producer is not None
        assert loop is not None
        while not self._stopping.is_set():
            producer.poll(self._poll_interval_s)
            reports = self._take_reports()
            if reports:
                loop.call_soon_threadsafe(self._settle, reports)

    def _delivered(
        self, future: asyncio.Future[None], err: RdKafkaError | None, _: Message
    ) -> None:
        # Runs in whichever thread polls; futures are only touched on the loop.
        with self._lock:
            self._reports.append((future, err))

    def _take_reports(self) -> list[tuple[asyncio.Future[None], RdKafkaError | None]]:
        with self._lock:
            reports, self._reports = self._reports, []
        return reports

    def _on_error(self, err: RdKafkaError) -> None:
        if err.fatal():
            self._fatal = f"{err.name()}: {err.str()}"
            log.error("kafka_producer_fatal", error=self._fatal)
            return
        suppressed = self._errors.admit(err.name())
        if suppressed is not None:
            log.warning(
                "kafka_client_error", error=f"{err.name()}: {err.str()}", repeats=suppressed
            )

    # -- on the event loop ----------------------------------------------------

    def _settle(self, reports: list[tuple[asyncio.Future[None], RdKafkaError | None]]) -> None:
        for future, err in reports:
            if future.done():
                # The caller's deadline passed and it was answered 503.
                if err is None:
                    self._on_late_ack()
                continue
            if err is None:
                future.set_result(None)
            else:
                future.set_exception(delivery_error(err))
