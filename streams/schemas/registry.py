"""The Schema Registry clients and value decoders for the configured sources.

Built once, at the worker's start, from the settings (credentials resolved
there from the variable each registry names). Sources naming the same
registry with the same credentials share one client, so its schema cache.
The client makes one attempt per request: retrying an unreachable registry
is the sources loop's job, which keeps polling Kafka while it waits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
from pydantic import SecretStr

from callstream.config import SchemaRegistrySpec, SourceSpec
from callstream.errors import ConfigError
from streams.schemas.decoders import Deserialize, RegistryDecoder
from streams.schemas.protobuf import ProtobufReader

# Deserializing needs no subject (the writer's schema comes by id); "TOPIC" keeps the
# deserializers from asking the registry for topic associations on every record.
_DESERIALIZER_CONF = {"subject.name.strategy.type": "TOPIC"}


def registry_client(spec: SchemaRegistrySpec, auth: SecretStr | None) -> SchemaRegistryClient:
    """A client of ``spec``'s registry (``mock://``: confluent-kafka's in-memory one)."""
    conf: dict[str, Any] = {
        "url": spec.url,
        "timeout": spec.timeout_s,
        "max.retries": 0,
    }
    if auth is not None:
        conf["basic.auth.user.info"] = auth.get_secret_value()
    if spec.ca_location is not None:
        conf["ssl.ca.location"] = spec.ca_location
    return SchemaRegistryClient.new_client(conf)


def source_decoder(name: str, spec: SourceSpec, client: SchemaRegistryClient) -> RegistryDecoder:
    """The decoder of source ``name``'s values (its format's deserializer on ``client``)."""
    deserialize: Deserialize
    if spec.format == "avro":
        deserialize = AvroDeserializer(client, conf=_DESERIALIZER_CONF)
    elif spec.format == "json_schema":
        deserialize = JSONDeserializer(None, schema_registry_client=client, conf=_DESERIALIZER_CONF)
    elif spec.format == "protobuf":
        deserialize = ProtobufReader(client)
    else:
        raise ValueError(f"source {name!r}: format {spec.format} is read without a registry")
    return RegistryDecoder(name, spec.format, deserialize)


@dataclass(frozen=True)
class SourceDecoders:
    """The decoder of each schema'd source, and the registry clients they share."""

    by_source: Mapping[str, RegistryDecoder]
    clients: Sequence[SchemaRegistryClient]

    def close(self) -> None:
        """Close the clients' HTTP connections (when the worker stops)."""
        for client in self.clients:
            client.close()


def source_decoders(
    sources: Mapping[str, SourceSpec], auth: Mapping[str, SecretStr]
) -> SourceDecoders:
    """A decoder per source whose format names a registry (plain JSON sources need none)."""
    clients: dict[tuple[str, str | None, str | None], SchemaRegistryClient] = {}
    decoders: dict[str, RegistryDecoder] = {}
    for name, spec in sources.items():
        registry = spec.schema_registry
        if registry is None or spec.format == "json":
            continue
        secret = auth.get(name)
        key = (registry.url, secret.get_secret_value() if secret else None, registry.ca_location)
        if key not in clients:
            try:
                clients[key] = registry_client(registry, secret)
            except (ValueError, TypeError, OSError) as exc:
                raise ConfigError(f"sources.{name}.schema_registry: {exc}") from exc
        decoders[name] = source_decoder(name, spec, clients[key])
    return SourceDecoders(decoders, list(clients.values()))
