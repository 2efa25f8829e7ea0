"""Schema'd source values decoded with confluent-kafka's deserializers, through its own
in-memory registry (``mock://``: one store per client, so serializer and decoder share one)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx2
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient, SchemaRegistryError
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, field_mask_pb2
from google.protobuf.message_factory import GetMessageClass

from callstream.config import SchemaRegistrySpec, SourceFormat, SourceSpec
from callstream.errors import RecordError
from streams.errors import SchemaRegistryUnavailable
from streams.schemas.decoders import RegistryDecoder
from streams.schemas.registry import source_decoder

TOPIC = "crm.events"
CONTEXT = SerializationContext(TOPIC, MessageField.VALUE)
SERDE_CONF = {"subject.name.strategy.type": "TOPIC"}
AVRO_SCHEMA = {
    "type": "record",
    "name": "CrmEvent",
    "fields": [
        {"name": "event_id", "type": "string"},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                    "precision": 9, "scale": 2}},
        {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "blob", "type": "bytes"},
        {"name": "customer", "type": {"type": "record", "name": "Customer",
                                      "fields": [{"name": "phone", "type": ["null", "string"]}]}},
    ],
}  # fmt: skip
REF = uuid.UUID("12345678-1234-5678-1234-567812345678")


@pytest.fixture
def client() -> Iterator[SchemaRegistryClient]:
    with SchemaRegistryClient.new_client({"url": "mock://unit"}) as registry:
        yield registry


def _decoder(client: SchemaRegistryClient, fmt: SourceFormat) -> RegistryDecoder:
    spec = SourceSpec(
        topic=TOPIC, format=fmt, schema_registry=SchemaRegistrySpec(url="mock://unit")
    )
    return source_decoder("crm", spec, client)


def _crm_proto() -> type[Any]:
    """A message class as an enterprise's generated code would have it (two messages)."""
    file = descriptor_pb2.FileDescriptorProto(name="crm.proto", package="acme.crm", syntax="proto3")
    customer = file.message_type.add(name="Customer")
    customer.field.add(name="phone", number=1, type=9, label=1)
    event = file.message_type.add(name="CrmEvent")
    event.field.add(name="event_id", number=1, type=9, label=1)
    event.field.add(name="customer", number=2, type=11, label=1, type_name=".acme.crm.Customer")
    event.field.add(name="points", number=3, type=5, label=1)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return GetMessageClass(pool.FindMessageTypeByName("acme.crm.CrmEvent"))


def test_avro_decodes_to_json_with_its_logical_types_spelled_out(
    client: SchemaRegistryClient,
) -> None:
    """AvroSerializer's bytes come back as JSON: dates ISO 8601, decimals exact as text,
    uuids as text, bytes in base64, nested records as objects."""
    value = AvroSerializer(client, json.dumps(AVRO_SCHEMA), conf=SERDE_CONF)(
        {
            "event_id": "e-1",
            "at": datetime(2026, 12, 8, 9, 30, 15, 250000, tzinfo=UTC),
            "amount": Decimal("1234567.89"),
            "ref": REF,
            "blob": b"\x00\xff",
            "customer": {"phone": "+15551230000"},
        },
        CONTEXT,
    )
    assert value is not None
    assert json.loads(_decoder(client, "avro")(value, TOPIC, None)) == {
        "event_id": "e-1",
        "at": "2026-12-08T09:30:15.250000+00:00",
        "amount": "1234567.89",
        "ref": str(REF),
        "blob": "AP8=",
        "customer": {"phone": "+15551230000"},
    }


def test_protobuf_decodes_with_the_writers_schema_and_no_compiled_class(
    client: SchemaRegistryClient,
) -> None:
    """The second message of the file (message index 1) decodes under its .proto names."""
    message_class = _crm_proto()
    message = message_class(event_id="e-2", points=7)
    message.customer.phone = "+15551230000"
    value = ProtobufSerializer(message_class, client, conf=SERDE_CONF)(message, CONTEXT)
    assert value is not None
    assert json.loads(_decoder(client, "protobuf")(value, TOPIC, None)) == {
        "event_id": "e-2",
        "customer": {"phone": "+15551230000"},
        "points": 7,
    }


def test_json_schema_values_are_validated_against_the_writers_schema(
    client: SchemaRegistryClient,
) -> None:
    """A JSON Schema value decodes; one the registry's schema rejects is a ``schema`` error."""
    schema = {"type": "object", "properties": {"event_id": {"type": "string"}},
              "required": ["event_id"]}  # fmt: skip
    value = JSONSerializer(json.dumps(schema), client, conf=SERDE_CONF)(
        {"event_id": "e-3"}, CONTEXT
    )
    assert value is not None
    decoder = _decoder(client, "json_schema")
    assert json.loads(decoder(value, TOPIC, None)) == {"event_id": "e-3"}
    with pytest.raises(RecordError, match="'event_id' is a required property") as raised:
        decoder(value[:5] + b'{"other": 1}', TOPIC, None)
    assert raised.value.reason == "schema"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (b'{"event_id": "e-4"}', "Invalid magic byte"),
        (b"\x00" + (4242).to_bytes(4, "big") + b"\x02a", "schema id 4242: Schema Not Found"),
        (b"\x00\x00\x00", "Expecting data framing of length 6 bytes or more"),
        (None, "record has no value"),
    ],
)
def test_values_that_cannot_be_read_are_schema_errors(
    client: SchemaRegistryClient, value: bytes | None, says: str
) -> None:
    """Wrong magic byte, unknown schema id, a truncated frame, no value: ``schema``, each
    with the reason in words."""
    with pytest.raises(RecordError) as raised:
        _decoder(client, "avro")(value, TOPIC, None)
    assert raised.value.reason == "schema"
    assert says in raised.value.detail


def test_a_malformed_avro_payload_is_a_schema_error(client: SchemaRegistryClient) -> None:
    """A payload cut short under a known schema id fails in fastavro: ``schema``, not a crash."""
    value = AvroSerializer(client, json.dumps(AVRO_SCHEMA), conf=SERDE_CONF)(
        {"event_id": "e-5", "at": datetime.now(UTC), "amount": Decimal(1), "ref": REF,
         "blob": b"", "customer": {"phone": None}},
        CONTEXT,
    )  # fmt: skip
    assert value is not None
    with pytest.raises(RecordError) as raised:
        _decoder(client, "avro")(value[:8], TOPIC, None)
    assert raised.value.reason == "schema"


def _failing(exc: Exception) -> Callable[[bytes, SerializationContext], Any]:
    def deserialize(_: bytes, __: SerializationContext) -> Any:
        raise exc

    return deserialize


@pytest.mark.parametrize(
    "exc",
    [
        SchemaRegistryError(503, 50301, "unavailable"),
        SchemaRegistryError(500, 50001, "store error"),
        SchemaRegistryError(401, 40101, "unauthorized"),
        SchemaRegistryError(429, -1, "slow down"),
        httpx2.ConnectError("connection refused"),
        httpx2.ReadTimeout("timed out"),
    ],
)
def test_a_registry_that_cannot_be_asked_is_unavailable_not_a_bad_record(exc: Exception) -> None:
    """5xx, 429, 401 and transport failures are the registry's, retried; never ``schema``."""
    decoder = RegistryDecoder("crm", "avro", _failing(exc))
    with pytest.raises(SchemaRegistryUnavailable):
        decoder(b"\x00\x00\x00\x00\x01\x02", TOPIC, None)


def test_a_record_json_cannot_hold_is_a_schema_error() -> None:
    """A decoded NaN (Avro doubles allow it) has no JSON form: ``schema``."""
    decoder = RegistryDecoder("crm", "avro", lambda _, __: {"score": float("nan")})
    with pytest.raises(RecordError, match="no JSON form"):
        decoder(b"\x00\x00\x00\x00\x01\x02", TOPIC, None)


def test_protobuf_reads_a_schema_that_imports_a_well_known_type(
    client: SchemaRegistryClient,
) -> None:
    """Any of the files confluent-kafka treats as built in (here google.protobuf.FieldMask)
    may be imported by the writer's schema; the registry holds none of them."""
    file = descriptor_pb2.FileDescriptorProto(
        name="masked.proto",
        package="acme.crm",
        syntax="proto3",
        dependency=["google/protobuf/field_mask.proto"],
    )
    event = file.message_type.add(name="Update")
    event.field.add(name="event_id", number=1, type=9, label=1)
    event.field.add(
        name="changed", number=2, type=11, label=1, type_name=".google.protobuf.FieldMask"
    )
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(field_mask_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(file)
    message_class = GetMessageClass(pool.FindMessageTypeByName("acme.crm.Update"))
    message = message_class(event_id="e-3")
    message.changed.paths.append("tier")
    value = ProtobufSerializer(message_class, client, conf=SERDE_CONF)(message, CONTEXT)
    assert value is not None
    decoded = json.loads(_decoder(client, "protobuf")(value, TOPIC, None))
    assert decoded["event_id"] == "e-3"
