"""The internal topics' headers and the records each output becomes."""

from __future__ import annotations

import pytest

from callstream.records import DeadLetter
from callstream.topics import Topics
from streams.correlation.route import Route
from streams.decide.outputs import DeadLetterOut, Dropped, ForwardToKey, IndexUpdate
from streams.partitioning import partition_for
from streams.state.deadlines import Deadlines
from streams.state.held import Origin
from streams.wire import Wire, forward_headers, parse_forwarded, parse_index

ORIGIN = Origin("crm.events", 7, 99, 12.5, "crm")
TOPICS = Topics(prefix="p.")


def test_forward_headers_round_trip() -> None:
    """Kind, origin, call and route survive the trip through Kafka headers."""
    route = Route(("phone:+1", "customer:C"), 1, "final", "v3:old")
    found = parse_forwarded(forward_headers("source", ORIGIN, call="v3:a", route=route))
    assert (found.kind, found.origin, found.call, found.route) == ("source", ORIGIN, "v3:a", route)


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [("callstream.kind", b"nonsense")],
        [("callstream.kind", b"source"), ("callstream.origin", b"[")],
    ],
)
def test_foreign_headers_are_refused(headers: list[tuple[str, bytes | None]]) -> None:
    """A record that is not one of ours raises ValueError (the batch dead-letters it)."""
    with pytest.raises(ValueError, match="callstream"):
        parse_forwarded(headers)


def test_internal_records_go_to_their_keys_partition() -> None:
    """Forwards are partitioned explicitly by murmur2 of their key, like every producer."""
    wire = Wire(TOPICS, 12)
    record = wire.record(ForwardToKey(Route(("phone:+1555",)), b"{}", ORIGIN), 0.0)
    assert record is not None
    assert (record.topic, record.key) == ("p.streams.by-key", b"phone:+1555")
    assert record.partition == partition_for("phone:+1555", 12)
    update = wire.record(IndexUpdate("customer:C", "v3:a", "end"), 0.0)
    assert update is not None
    assert parse_index("customer:C", update.value) == IndexUpdate("customer:C", "v3:a", "end")
    assert wire.record(Dropped("duplicate", "source", None), 0.0) is None


def test_dead_letters_carry_the_original_bytes_and_origin() -> None:
    """The DLQ record is the original value; the headers name stage, reason, original place."""
    wire = Wire(TOPICS, 12)
    out = DeadLetterOut(b"raw \xff", ORIGIN, "unknown_call", "waited", "v3:a", key="v3:a")
    record = wire.record(out, 100.0)
    assert record is not None
    assert (record.topic, record.key, record.value) == ("p.dlq", b"v3:a", b"raw \xff")
    meta = DeadLetter.from_headers(record.headers)
    assert (meta.stage, meta.reason, meta.topic, meta.partition, meta.offset) == (
        "streams", "unknown_call", "crm.events", 7, 99,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("origin", "json_value", "marked"),
    [
        (ORIGIN, True, True),  # a source record as the worker reads it: JSON
        (ORIGIN, False, False),  # a schema'd record's bytes as they arrived
        (Origin("p.tool-calls", 0, 1, 1.0), True, False),  # not a source record
    ],
)
def test_source_dead_letters_say_when_their_value_is_json(
    origin: Origin, json_value: bool, marked: bool
) -> None:
    """``content-type: application/json`` marks source records whose value is JSON, so a
    replay onto an Avro topic is read as JSON; undecoded bytes are not marked."""
    out = DeadLetterOut(b"{}", origin, "unknown_call", "waited", json_value=json_value)
    record = Wire(TOPICS, 12).record(out, 100.0)
    assert record is not None
    assert (("content-type", b"application/json") in record.headers) is marked


def test_the_deadline_index_finds_due_keys_per_partition() -> None:
    """Due keys are found per partition; a rebuild replaces a stale index; sizes count labels."""
    index = Deadlines(4)
    keys = [f"v3:k{i}" for i in range(20)]
    for n, key in enumerate(keys):
        index.record("calls", key, (float(n), "active"))
    partition = partition_for(keys[0], 4)
    due = index.due("calls", partition, 5.0)
    assert due == [k for k in keys[:6] if partition_for(k, 4) == partition]
    index.rebuild("calls", partition, [(keys[0], (None, "ended"))])
    assert index.due("calls", partition, 100.0) == []
    assert index.sizes("calls")["ended"] == 1
    index.drop(range(4))
    assert index.sizes("calls") == {}
