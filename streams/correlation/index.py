"""The correlation index: which calls a correlation value (phone, customer id) belongs to.

One ``IndexEntry`` per correlation key (``phone:+15551230000``,
``customer:C-42``) lives in the ``index`` table, partitioned by that key, so a
source event keyed by the same value is resolved on the partition that owns it
— a foreign-key join done with Kafka re-partitioning, never a global dict.

Stored as compact JSON bytes, like the call states. Data and encoding only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from streams.state.held import Held


@dataclass(frozen=True, slots=True)
class CallRef:
    """One call known under a correlation key."""

    live: bool
    since: float
    """When it was added (live) or ended (not live), processing time."""


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """The calls under one correlation key, and the source events waiting for one."""

    calls: Mapping[str, CallRef] = field(default_factory=dict)
    held: tuple[Held, ...] = ()

    @property
    def live_calls(self) -> list[str]:
        """Call ids live under this key, oldest first (deterministic order for fan-out)."""
        return sorted(
            (call for call, ref in self.calls.items() if ref.live),
            key=lambda call: (self.calls[call].since, call),
        )

    @property
    def latest_ended(self) -> str | None:
        """The most recently ended call under this key, if any."""
        ended = [(ref.since, call) for call, ref in self.calls.items() if not ref.live]
        return max(ended)[1] if ended else None

    @property
    def empty(self) -> bool:
        return not self.calls and not self.held


def encode_entry(entry: IndexEntry) -> bytes:
    doc: dict[str, Any] = {}
    if entry.calls:
        doc["c"] = {call: [int(ref.live), ref.since] for call, ref in entry.calls.items()}
    if entry.held:
        doc["h"] = [held.to_json() for held in entry.held]
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def decode_entry(raw: bytes) -> IndexEntry:
    """Read back what ``encode_entry`` wrote (``ValueError`` if it is not that)."""
    try:
        doc = json.loads(raw)
        return IndexEntry(
            calls={
                call: CallRef(bool(live), float(since))
                for call, (live, since) in doc.get("c", {}).items()
            },
            held=tuple(Held.from_json(item) for item in doc.get("h", ())),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"not an encoded index entry: {exc}") from exc
