"""What the streams worker remembers about one call, and its compact wire form.

One ``CallState`` per call id lives in the ``calls`` table (held in memory by the
worker, its changelog compacted in Kafka). It is stored as compact JSON bytes, not as a
Python object graph, because bytes are what the changelog carries anyway and a
``bytes`` value is the smallest thing Python can hold per live call.

Statuses only move forward: ``unknown`` (inputs held, no proof the call
exists) → ``ringing`` → ``active`` → ``ended`` → ``gone`` (a tombstone that
only remembers the call ended and which input ids it saw).

This module holds data and its encoding only; transitions are decided in
``streams.decide``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from streams.state.followup import Draft
from streams.state.held import Held
from streams.state.outbox import Queued

Status = Literal["unknown", "ringing", "active", "ended", "gone"]

RANK: Mapping[Status, int] = {"unknown": 0, "ringing": 1, "active": 2, "ended": 3, "gone": 4}

_CODES: Mapping[Status, str] = {
    "unknown": "u",
    "ringing": "r",
    "active": "a",
    "ended": "e",
    "gone": "x",
}
_STATUSES: Mapping[str, Status] = {code: status for status, code in _CODES.items()}

DIGEST_CHARS = 16
"""Seen ids are kept as 64-bit digests in hex: collisions within one call are negligible."""


@dataclass(frozen=True, slots=True)
class Pending:
    """A tool request waiting for its result."""

    tool: str
    arguments: Mapping[str, Any]
    registered: float
    """When the request was registered (processing time); its timeout counts from here."""


@dataclass(frozen=True, slots=True)
class CallState:
    """The registry entry of one call plus everything waiting on it."""

    status: Status
    first_seen: float
    last_seen: float
    ended_at: float | None = None
    end_reason: str | None = None
    phone: str | None = None
    """The customer's number in E.164 (the caller on inbound calls), a correlation key."""
    from_: str | None = None
    to: str | None = None
    customer_ids: tuple[str, ...] = ()
    pending: Mapping[str, Pending] = field(default_factory=dict)
    """Tool requests (by request id) still waiting for their result."""
    held: tuple[Held, ...] = ()
    """Inputs waiting for this call to be known, or for their tool request, in arrival order."""
    seen: tuple[str, ...] = ()
    """Digests of input ids already applied, oldest first."""
    outbox: tuple[Queued, ...] = ()
    """Injections decided but waiting for the call's rate limit (or for newer facts), in order."""
    sent: tuple[float, ...] = ()
    """When the injections of the current rate window went out, oldest first."""
    followup: Draft | None = None
    """Undelivered results gathered for one follow-up while its window is open."""

    @property
    def live(self) -> bool:
        return self.status in ("ringing", "active")

    @property
    def over(self) -> bool:
        """The call has ended (its full record, or only its tombstone, remains)."""
        return self.status in ("ended", "gone")

    def has_seen(self, digest: str) -> bool:
        return digest in self.seen


def encode_call(state: CallState) -> bytes:
    """The compact JSON form of ``state`` (what the changelog and the table hold)."""
    doc: dict[str, Any] = {"s": _CODES[state.status], "f": state.first_seen, "l": state.last_seen}
    optional: dict[str, Any] = {
        "e": state.ended_at,
        "er": state.end_reason,
        "p": state.phone,
        "fr": state.from_,
        "to": state.to,
        "c": list(state.customer_ids),
        "q": {
            request_id: [pending.tool, pending.arguments, pending.registered]
            for request_id, pending in state.pending.items()
        },
        "h": [held.to_json() for held in state.held],
        "d": "".join(state.seen),
        "o": [queued.to_json() for queued in state.outbox],
        "w": list(state.sent),
        "fu": None if state.followup is None else state.followup.to_json(),
    }
    doc.update({key: value for key, value in optional.items() if value})
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def decode_call(raw: bytes) -> CallState:
    """Read back what ``encode_call`` wrote (``ValueError`` if it is not that)."""
    try:
        doc = json.loads(raw)
        digests = doc.get("d", "")
        return CallState(
            status=_STATUSES[doc["s"]],
            first_seen=float(doc["f"]),
            last_seen=float(doc["l"]),
            ended_at=doc.get("e"),
            end_reason=doc.get("er"),
            phone=doc.get("p"),
            from_=doc.get("fr"),
            to=doc.get("to"),
            customer_ids=tuple(doc.get("c", ())),
            pending={
                request_id: Pending(str(tool), dict(arguments), float(registered))
                for request_id, (tool, arguments, registered) in doc.get("q", {}).items()
            },
            held=tuple(Held.from_json(item) for item in doc.get("h", ())),
            seen=tuple(digests[i : i + DIGEST_CHARS] for i in range(0, len(digests), DIGEST_CHARS)),
            outbox=tuple(Queued.from_json(item) for item in doc.get("o", ())),
            sent=tuple(float(t) for t in doc.get("w", ())),
            followup=Draft.from_json(doc["fu"]) if doc.get("fu") else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"not an encoded call state: {exc}") from exc
