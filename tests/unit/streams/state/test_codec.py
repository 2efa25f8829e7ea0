"""Call states and index entries survive their compact encoding, and stay compact."""

from __future__ import annotations

import pytest

from streams.correlation.index import CallRef, IndexEntry, decode_entry, encode_entry
from streams.correlation.route import Route
from streams.state.calls import CallState, Pending, decode_call, encode_call
from streams.state.held import Held, Origin

ORIGIN = Origin("callstream.supervisor", 3, 42, 1.5, None)
FULL = CallState(
    status="active",
    first_seen=1.0,
    last_seen=2.5,
    phone="+15551230000",
    from_="+15551230000",
    to="+15559870000",
    customer_ids=("C-42",),
    pending={"r-1": Pending("lookup_order_status", {"order_id": "ORD-1"}, 2.0)},
    held=(Held("tool_result", b'{"x":"\xc3\xa9"}', ORIGIN, 2.0, "request", digest="ab" * 8),),
    seen=("0123456789abcdef", "fedcba9876543210"),
)


@pytest.mark.parametrize(
    "state",
    [
        FULL,
        CallState(status="unknown", first_seen=1.0, last_seen=1.0),
        CallState(status="gone", first_seen=1, last_seen=2, ended_at=3, end_reason="call.hangup"),
    ],
)
def test_call_states_round_trip(state: CallState) -> None:
    """What is written to the changelog reads back equal."""
    assert decode_call(encode_call(state)) == state


def test_a_typical_live_call_is_small() -> None:
    """The encoded state of a live call with a pending request is a few hundred bytes."""
    assert len(encode_call(FULL)) < 600


def test_index_entries_round_trip() -> None:
    """Index entries, held events and their routes read back equal."""
    held = Held("source", b"{}", ORIGIN, 3.0, "call", Route(("phone:+1", "customer:C"), 0, "hold"))
    entry = IndexEntry(
        calls={"v3:a": CallRef(True, 1.0), "v3:b": CallRef(False, 2.0)}, held=(held,)
    )
    assert decode_entry(encode_entry(entry)) == entry


@pytest.mark.parametrize("raw", [b"", b"[]", b'{"s": "?"}', b'{"s": "a"}', b"\xff"])
def test_garbage_is_a_value_error(raw: bytes) -> None:
    """Anything that is not an encoded state is refused with ValueError, never anything else."""
    with pytest.raises(ValueError, match="not an encoded"):
        decode_call(raw)
