"""What a call learns of the correlation keys it can be found by, and the index updates that follow.

A call is indexed under its customer's phone number (the caller on inbound
calls, the callee on outbound) and under the customer ids it learns from its
lifecycle events, its tool calls and the source events that reach it; a
live call's new keys go to the index as ``add`` updates on their own
partitions (``streams.correlation.resolve`` applies them). Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterator

from streams.correlation.keys import CUSTOMER, PHONE, customer_key, normalise_phone
from streams.decide.outputs import IndexUpdate, Output
from streams.state.calls import CallState
from streams.state.evolve import evolve

MAX_CUSTOMER_IDS = 8
"""A call learns at most this many customer ids (one person rarely has more than one)."""


def keys_of(state: CallState) -> Iterator[str]:
    """The correlation keys a call is indexed under."""
    if state.phone:
        yield PHONE + state.phone
    for customer in state.customer_ids:
        yield CUSTOMER + customer


def learn(
    state: CallState,
    call_control_id: str,
    out: list[Output],
    *,
    region: str,
    phone: str | None = None,
    customer_id: str | None = None,
) -> CallState:
    """``state`` knowing ``phone`` and ``customer_id`` too; a live call is indexed under them.

    The first phone number learnt stays (a call has one customer side); customer
    ids accumulate, bounded.
    """
    new_phone = state.phone
    customer_ids = state.customer_ids
    new_keys: list[str] = []
    if phone and state.phone is None:
        e164 = normalise_phone(phone, region)
        if e164 is not None:
            new_phone = e164
            new_keys.append(PHONE + e164)
    key = customer_key(customer_id) if customer_id else None
    if key is not None and len(customer_ids) < MAX_CUSTOMER_IDS:
        customer = key[len(CUSTOMER) :]
        if customer not in customer_ids:
            customer_ids = (*customer_ids, customer)
            new_keys.append(key)
    if not new_keys:
        return state
    if state.live:
        out.extend(IndexUpdate(key, call_control_id, "add") for key in new_keys)
    return evolve(state, phone=new_phone, customer_ids=customer_ids)
