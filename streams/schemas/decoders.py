"""One source's values in the Confluent wire format, decoded to the JSON record callstream reads.

A ``RegistryDecoder`` wraps one of confluent-kafka's deserializers
(``AvroDeserializer``, ``JSONDeserializer``, or ``ProtobufReader`` for
Protobuf) and sorts what can go wrong into two kinds, because they call for
opposite actions:

* the value cannot be decoded — a first byte that is not a schema id's magic
  byte, a schema id the registry does not know (404), a payload that does not
  match its schema — ``RecordError("schema", ...)``: dead-lettered with the
  original bytes, never retried (it would fail the same way forever);
* the registry cannot be asked — unreachable, a timeout, 5xx, 429, or 401/403
  (credentials refused) — ``SchemaRegistryUnavailable``: the sources loop
  waits and asks again; nothing is dead-lettered and the partition does not
  advance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import httpx2
from confluent_kafka.schema_registry import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from callstream.config import SourceFormat
from callstream.errors import RecordError
from streams.errors import SchemaRegistryUnavailable
from streams.schemas.jsonable import to_json_bytes

Headers = Sequence[tuple[str, str | bytes | None]]
Deserialize = Callable[[bytes, SerializationContext], Any]

NOT_FOUND = 404
"""The registry does not know the schema id (or subject/version): the value can never decode."""


class RegistryDecoder:
    """Decodes one source's values with a Schema Registry deserializer."""

    def __init__(self, source: str, format_: SourceFormat, deserialize: Deserialize) -> None:
        self._source = source
        self._format = format_
        self._deserialize = deserialize
        self._what = f"{source} event ({format_})"

    def __call__(self, value: bytes | None, topic: str, headers: Headers | None) -> bytes:
        """The decoded record as JSON bytes; ``RecordError`` or ``SchemaRegistryUnavailable``."""
        what = self._what
        if value is None:
            raise RecordError("schema", f"{what}: record has no value")
        context = SerializationContext(topic, MessageField.VALUE, list(headers or ()))
        try:
            record = self._deserialize(value, context)
        except SchemaRegistryError as exc:
            if exc.http_status_code == NOT_FOUND:
                raise RecordError("schema", f"{what}: {_schema_ref(value)} {exc}") from exc
            raise SchemaRegistryUnavailable(f"the registry answered: {exc}") from exc
        except httpx2.TransportError as exc:
            raise SchemaRegistryUnavailable(
                f"the registry cannot be reached: {type(exc).__name__}: {exc}"
            ) from exc
        except Exception as exc:
            # A malformed payload fails deep in fastavro, protobuf or jsonschema in many
            # ways (EOFError, IndexError, DecodeError, ...); each is this record's fault alone.
            detail = f"{type(exc).__name__}: {exc}"
            raise RecordError(
                "schema",
                f"{what}: does not read as {self._format} in the Confluent wire format "
                f"(magic byte, schema id, encoded record): {detail}",
            ) from exc
        if not isinstance(record, dict) and not hasattr(record, "DESCRIPTOR"):
            raise RecordError("schema", f"{what}: decodes to {type(record).__name__}, not a record")
        try:
            return to_json_bytes(record)
        except (TypeError, ValueError) as exc:
            raise RecordError("schema", f"{what}: decoded record has no JSON form: {exc}") from exc


def _schema_ref(value: bytes) -> str:
    """The schema id a value's prefix names, for the error text (``schema id 7:``)."""
    if len(value) >= 5 and value[0] == 0:
        return f"schema id {int.from_bytes(value[1:5], 'big')}:"
    return "its schema:"
