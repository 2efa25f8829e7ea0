"""faust events as ``RawRecord`` values, the form the faust-free core works on."""

from __future__ import annotations

from typing import Any

from streams.batch import RawRecord


def raw_record(message: Any) -> RawRecord:
    """The record a faust ``Message`` carries (keys and values are raw bytes)."""
    headers = message.headers or ()
    if isinstance(headers, dict):
        headers = list(headers.items())
    return RawRecord(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        timestamp=float(message.timestamp or 0.0),
        key=message.key,
        value=message.value,
        headers=tuple(headers),
    )
