"""Correlation keys: the values that tie a source event without a call id to a live call.

A key is a namespaced string — ``phone:+15551230000`` or ``customer:C-42`` — so
a phone number and a customer id that happen to be spelled alike never meet.
Phone numbers are normalised to E.164 with ``phonenumbers`` (numbers written
without a country code are read in the configured default region), so
``(555) 123-0000``, ``555.123.0000`` and ``+1 555 123 0000`` are one key.

Pure functions; nothing here looks anything up.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import phonenumbers

from callstream.config.services import CorrelationKeyKind
from callstream.records import CallEventPayload, SourceEvent

PHONE = "phone:"
CUSTOMER = "customer:"

# A customer id is an opaque identifier; anything longer is not one.
MAX_CUSTOMER_ID_CHARS = 128


@lru_cache(maxsize=16_384)  # a call's number recurs in its events; parsing it is costly
def normalise_phone(raw: str, region: str) -> str | None:
    """``raw`` in E.164 (``+15551230000``), or ``None`` if it cannot be a phone number.

    "Possible" (right length for its country) rather than "valid" (an assigned
    range): test and fictional numbers such as 555 ones must still correlate.
    """
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_key(raw: str, region: str) -> str | None:
    """The correlation key of a phone number, or ``None`` if it is not one."""
    e164 = normalise_phone(raw, region)
    return None if e164 is None else PHONE + e164


def customer_key(raw: str) -> str | None:
    """The correlation key of a customer id (trimmed, case kept), or ``None`` if blank."""
    value = raw.strip()
    if not value or len(value) > MAX_CUSTOMER_ID_CHARS:
        return None
    return CUSTOMER + value


def customer_phone(payload: CallEventPayload) -> str | None:
    """The customer's side of a call: the caller on inbound calls, the callee on outbound ones."""
    direction = (payload.direction or "").lower()
    if direction.startswith("outgoing") or direction.startswith("outbound"):
        return payload.to
    return payload.from_


def event_keys(
    event: SourceEvent, order: Sequence[CorrelationKeyKind], region: str
) -> tuple[str, ...]:
    """The correlation keys ``event`` carries, in the configured order, unusable ones left out."""
    keys: list[str] = []
    for kind in order:
        key: str | None = None
        if kind == "phone" and event.customer.phone:
            key = phone_key(event.customer.phone, region)
        elif kind == "customer_id" and event.customer.id:
            key = customer_key(event.customer.id)
        if key is not None and key not in keys:
            keys.append(key)
    return tuple(keys)
