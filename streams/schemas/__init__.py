"""Schema'd source topics: values in the Confluent wire format, decoded at the edge.

* ``decoders`` — one source's value (Avro, Protobuf, JSON Schema) to the JSON
  record the rest of the worker reads, with confluent-kafka's own
  Schema Registry deserializers; a value that cannot be decoded is a
  ``RecordError`` (reason ``schema``), a registry that cannot be asked is a
  ``SchemaRegistryUnavailable`` (retried, never dead-lettered);
* ``jsonable`` — what the deserializers return (datetimes, decimals, bytes,
  Protobuf messages) as plain JSON values;
* ``registry`` — the registry clients and decoders for the configured sources.

This is I/O (the registry) in front of the pure core: past the sources loop a
source record is JSON, as it always was. Kafka Connect's JSON envelope is
unwrapped where JSON source records are read (``callstream.records.sources``).
"""
