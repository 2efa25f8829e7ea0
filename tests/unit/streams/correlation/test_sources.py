"""The first step for a source record: forward by call id, by correlation key, or dead-letter."""

from __future__ import annotations

import pytest

from streams import testing as build
from streams.correlation.sources import route_source_record
from streams.decide.outputs import DeadLetterOut, ForwardToCall, ForwardToKey, Output
from streams.decide.rules import Rules
from streams.state.held import Origin

ORIGIN = Origin("crm.events", 0, 5, 1.0, "crm")


def route(raw: bytes | None, rules: Rules, source: str = "crm") -> Output:
    origin = Origin(ORIGIN.topic, 0, 5, 1.0, source)
    return route_source_record(
        raw,
        b"original-key",
        origin,
        sources=rules.sources,
        order=rules.streams.correlation_keys,
        region=rules.streams.default_region,
    )


def test_an_event_naming_its_call_goes_to_the_call(rules: Rules) -> None:
    """With a call id, no correlation is needed."""
    output = route(build.source_event("E-1", "order.updated", call="v3:a"), rules)
    assert isinstance(output, ForwardToCall)
    assert (output.call_control_id, output.kind, output.origin) == ("v3:a", "source", ORIGIN)


def test_keys_are_tried_phone_first_normalised(rules: Rules) -> None:
    """Phone (as E.164) then customer id, the configured order."""
    raw = build.source_event("E-1", "x", phone="(555) 123-0000", customer_id=" C-42 ")
    output = route(raw, rules)
    assert isinstance(output, ForwardToKey)
    assert output.route.keys == ("phone:+15551230000", "customer:C-42")
    assert (output.route.hop, output.route.phase) == (0, "probe")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "invalid_json"),
        (b'{"event_id": "E", "type": "t", "occurred_at": "2026-01-01T00:00:00Z"}', "schema"),
        (build.source_event("E-1", "x", phone="12"), "schema"),
        (None, "schema"),
    ],
    ids=["not json", "no key at all", "phone that is no number", "no value"],
)
def test_unroutable_records_are_dead_lettered_with_the_original_bytes(
    rules: Rules, raw: bytes | None, reason: str
) -> None:
    """Poison goes to the DLQ, unchanged, under its original key; nothing else happens."""
    output = route(raw, rules)
    assert isinstance(output, DeadLetterOut)
    assert (output.reason, output.raw, output.key) == (reason, raw, b"original-key")


def test_a_record_from_an_unconfigured_source_is_dead_lettered(rules: Rules) -> None:
    """Config and topic disagree: say so rather than guess."""
    output = route(build.source_event("E-1", "x", call="v3:a"), rules, source="billing")
    assert isinstance(output, DeadLetterOut)
    assert output.reason == "unknown_source"
