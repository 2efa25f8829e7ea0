"""Protobuf values read with the writer's schema from the registry, with no compiled classes.

confluent-kafka's ``ProtobufDeserializer`` parses into a generated message
class given at construction; callstream has none (the message types are the
enterprise's). So this reader does what that deserializer does up to the
parse, with the library's own pieces: the schema id and message indexes from
the value (``dual_schema_id_deserializer``), the writer's file descriptor
from the registry in its ``serialized`` form, its references resolved and the
files the library treats as built in (``google/protobuf/*``, ``google/type/*``,
``confluent/*``) loaded by the same functions the deserializer uses
(``_init_pool``, ``_resolve_named_schema``, ``_str_to_proto``: private to
confluent-kafka, pinned in ``constraints.txt``, covered by the unit tests), and
a message class built from it, cached per schema id and index.
"""

from __future__ import annotations

import threading
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient, dual_schema_id_deserializer
from confluent_kafka.schema_registry._sync.protobuf import _resolve_named_schema
from confluent_kafka.schema_registry.common.protobuf import _init_pool, _str_to_proto
from confluent_kafka.schema_registry.common.serde import SchemaId
from confluent_kafka.serialization import SerializationContext
from google.protobuf.descriptor import Descriptor
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass


def _message_at(pool: DescriptorPool, file_name: str, indexes: list[int]) -> Descriptor:
    """The message the indexes name: a top-level message, then nested ones."""
    file = pool.FindFileByName(file_name)
    candidates: Any = file.message_types_by_name.values()
    message: Descriptor | None = None
    for index in indexes:
        found = list(candidates)
        if not 0 <= index < len(found):
            raise ValueError(f"message index {index} out of range ({len(found)} message types)")
        message = found[index]
        candidates = message.nested_types
    if message is None:
        raise ValueError("the value names no message index")
    return message


class ProtobufReader:
    """Reads Confluent-framed Protobuf values as messages of the writer's own type."""

    def __init__(self, client: SchemaRegistryClient) -> None:
        self._client = client
        self._classes: dict[tuple[Any, ...], type[Message]] = {}
        self._lock = threading.Lock()

    def __call__(self, value: bytes, context: SerializationContext) -> Message:
        schema_id = SchemaId("PROTOBUF")
        payload = dual_schema_id_deserializer(value, context, schema_id)
        message = self._class_for(schema_id)()
        message.ParseFromString(payload.read())
        return message

    def _class_for(self, schema_id: SchemaId) -> type[Message]:
        indexes = list(schema_id.message_indexes or [0])
        key = (schema_id.id, schema_id.guid, *indexes)
        with self._lock:
            found = self._classes.get(key)
        if found is None:
            if schema_id.id is not None:
                schema = self._client.get_schema(schema_id.id, fmt="serialized")
            else:
                schema = self._client.get_schema_by_guid(str(schema_id.guid), fmt="serialized")
            if schema.schema_str is None:
                raise ValueError("the registry returned no schema text")
            pool = DescriptorPool()
            _init_pool(pool)
            _resolve_named_schema(schema, self._client, pool)
            pool.Add(_str_to_proto("writer.proto", schema.schema_str))
            found = GetMessageClass(_message_at(pool, "writer.proto", indexes))
            with self._lock:
                self._classes[key] = found
        return found
