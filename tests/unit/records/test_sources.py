"""Source events in any schema map onto the canonical form through the configured fields."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callstream.errors import RecordError
from callstream.records import FieldMap, decode_source_event, source_event_from_raw

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_default_field_map_reads_the_spec_shape() -> None:
    """A record in the default field layout (README, *Kafka topics*) needs no mapping."""
    raw = {
        "event_id": "crm-1",
        "type": "profile.updated",
        "occurred_at": "2026-11-23T12:00:00Z",
        "data": {"tier": "Gold"},
        "customer": {"phone": "+15551230000", "id": "C-1"},
    }
    event = source_event_from_raw("crm", raw, FieldMap())
    assert (event.event_id, event.type, event.occurred_at) == ("crm-1", "profile.updated", T0)
    assert event.customer.phone == "+15551230000"
    assert event.customer.id == "C-1"
    assert event.call_control_id is None
    assert event.data == {"tier": "Gold"}


def test_custom_field_map_reads_a_foreign_schema() -> None:
    """A customer's own schema is routed by configuration, not code."""
    fields = FieldMap(
        event_id="meta.id",
        type="meta.kind",
        occurred_at="meta.ts",
        data=None,
        call_control_id="telephony.call",
        phone="contact.msisdn",
        customer_id="contact.account",
    )
    raw = {
        "meta": {"id": 991, "kind": "alert", "ts": "2026-11-23T12:00:00+00:00"},
        "contact": {"msisdn": "+441234567890", "account": 42},
        "score": 0.97,
    }
    event = source_event_from_raw("fraud", raw, fields)
    assert event.event_id == "991"
    assert event.customer.id == "42"
    assert event.customer.phone == "+441234567890"
    assert event.data == raw  # data=None: the whole record is the facts


def test_fallback_time_stands_in_for_a_missing_timestamp() -> None:
    """Without an occurred-at field the caller's fallback (the record timestamp) is used."""
    raw = {"event_id": "e", "type": "t", "call_control_id": "v3:x"}
    assert source_event_from_raw("crm", raw, FieldMap(), fallback_time=T0).occurred_at == T0


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"event_id": "e", "type": "t", "occurred_at": "2026-11-23T12:00:00Z"}, "neither"),
        ({"type": "t", "call_control_id": "c", "occurred_at": "2026-11-23T12:00:00Z"}, "event_id"),
        ({"event_id": "e", "call_control_id": "c", "occurred_at": "2026-11-23T12:00:00Z"}, "type"),
        ({"event_id": "e", "type": "t", "call_control_id": "c"}, "occurred_at"),
        (
            {
                "event_id": "e",
                "type": "t",
                "call_control_id": "../x",
                "occurred_at": "2026-11-23T12:00:00Z",
            },
            "call_control_id",
        ),
        (
            {
                "event_id": "e",
                "type": "t",
                "call_control_id": "c",
                "data": [1],
                "occurred_at": "2026-11-23T12:00:00Z",
            },
            "data",
        ),
    ],
)
def test_unroutable_or_malformed_events_are_record_errors(
    raw: dict[str, Any], problem: str
) -> None:
    """An event that could never be routed or trusted is refused with the field named."""
    with pytest.raises(RecordError, match=problem):
        source_event_from_raw("crm", raw, FieldMap())


@pytest.mark.parametrize("raw", [b"{", b"[]", b'"text"', None])
def test_decoding_non_objects_fails_cleanly(raw: bytes | None) -> None:
    """Bytes that are not a JSON object are a ``RecordError``."""
    with pytest.raises(RecordError):
        decode_source_event("crm", raw, FieldMap())


def test_decode_round_trip_from_bytes() -> None:
    """Bytes from a source topic decode to the canonical event."""
    raw = json.dumps(
        {
            "event_id": "t-1",
            "type": "ticket.updated",
            "occurred_at": "2026-11-23T12:00:00Z",
            "call_control_id": "v3:abc",
            "data": {"ticket": "T-9"},
        }
    ).encode()
    event = decode_source_event("ticketing", raw, FieldMap())
    assert event.source == "ticketing"
    assert event.call_control_id == "v3:abc"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
SPEC_KEYS = st.sampled_from(
    ["event_id", "type", "occurred_at", "data", "call_control_id", "customer"]
)


@given(st.binary(max_size=2048))
def test_arbitrary_bytes_only_raise_record_error(raw: bytes) -> None:
    """Whatever a source topic holds, decoding yields an event or raises ``RecordError``."""
    with contextlib.suppress(RecordError):
        decode_source_event("crm", raw, FieldMap(), fallback_time=T0)


@given(st.dictionaries(SPEC_KEYS | st.text(max_size=12), JSON_VALUES, max_size=8))
def test_arbitrary_json_objects_only_raise_record_error(record: dict[str, Any]) -> None:
    """JSON with the right keys and any values: an event or ``RecordError``, nothing else."""
    raw = json.dumps(record).encode()
    with contextlib.suppress(RecordError):
        decode_source_event("crm", raw, FieldMap(), fallback_time=T0)


TICKET = {
    "event_id": "t-2",
    "type": "ticket.updated",
    "occurred_at": "2026-11-23T12:00:00Z",
    "call_control_id": "v3:abc",
    "data": {"ticket": "T-9"},
}
CONNECT_SCHEMA = {"type": "struct", "fields": [], "optional": False, "name": "Ticket"}


@pytest.mark.parametrize(
    "record",
    [
        {"schema": CONNECT_SCHEMA, "payload": TICKET},
        {"schema": None, "payload": TICKET},  # Connect writes a null schema for schemaless data
        TICKET,
    ],
)
def test_a_kafka_connect_envelope_is_read_as_its_payload(record: dict[str, Any]) -> None:
    """Connect's JsonConverter envelope and the bare record decode to the same event."""
    event = decode_source_event("ticketing", json.dumps(record).encode(), FieldMap())
    assert (event.event_id, event.call_control_id, event.data) == ("t-2", "v3:abc", TICKET["data"])


@pytest.mark.parametrize(
    "record",
    [
        {"schema": CONNECT_SCHEMA, "payload": "not an object"},
        {"schema": CONNECT_SCHEMA, "payload": TICKET, "extra": 1},  # not an envelope
        {"schema": "a string", "payload": TICKET},  # not Connect's schema
    ],
)
def test_what_is_not_an_envelope_of_a_record_is_refused(record: dict[str, Any]) -> None:
    """A payload that is not an object, or a look-alike that is no envelope, is ``schema``."""
    with pytest.raises(RecordError) as raised:
        decode_source_event("ticketing", json.dumps(record).encode(), FieldMap(), fallback_time=T0)
    assert raised.value.reason == "schema"
