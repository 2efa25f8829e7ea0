"""Correlation keys: phone numbers normalised to E.164, customer ids trimmed, namespaced."""

from __future__ import annotations

import pytest

from callstream.records import CallEventPayload
from streams.correlation.keys import customer_key, customer_phone, normalise_phone, phone_key


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+1 555 123 0000", "US", "+15551230000"),
        ("(555) 123-0000", "US", "+15551230000"),
        ("555.123.0000", "US", "+15551230000"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("12", "US", None),
        ("call me", "US", None),
        ("", "US", None),
    ],
)
def test_phone_numbers_normalise_to_e164(raw: str, region: str, e164: str | None) -> None:
    """One number, however it is written, is one key; non-numbers are no key."""
    assert normalise_phone(raw, region) == e164


def test_keys_are_namespaced() -> None:
    """A phone and a customer id spelled alike never collide."""
    assert phone_key("+15551230000", "US") == "phone:+15551230000"
    assert customer_key(" 15551230000 ") == "customer:15551230000"
    assert customer_key("   ") is None
    assert customer_key("x" * 200) is None


@pytest.mark.parametrize(
    ("direction", "customer"),
    [(None, "+1A"), ("incoming", "+1A"), ("outgoing", "+1B"), ("outbound", "+1B")],
)
def test_the_customer_side_depends_on_the_direction(direction: str | None, customer: str) -> None:
    """Inbound: the caller; outbound: the callee."""
    payload = CallEventPayload.model_validate({"from": "+1A", "to": "+1B", "direction": direction})
    assert customer_phone(payload) == customer
