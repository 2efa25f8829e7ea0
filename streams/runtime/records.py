"""confluent-kafka messages as ``RawRecord`` values, the form the Kafka-free core works on."""

from __future__ import annotations

from typing import Any

from confluent_kafka import Message

from callstream.tracing import trace_of
from streams.batch import RawRecord


def raw_record(message: Message, traced: bool = False) -> RawRecord:
    """The record ``message`` carries (timestamp in seconds; 0 when the broker gave none);
    ``traced``: with the W3C trace context its headers carry."""
    _, timestamp_ms = message.timestamp()
    headers: Any = message.headers() or ()
    return RawRecord(
        topic=message.topic() or "",
        partition=message.partition() or 0,
        offset=message.offset() or 0,
        timestamp=timestamp_ms / 1000.0 if timestamp_ms > 0 else 0.0,
        key=_as_bytes(message.key()),
        value=_as_bytes(message.value()),
        headers=tuple(headers),
        trace=trace_of(headers) if traced else None,
    )


def _as_bytes(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value
