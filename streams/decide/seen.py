"""Digests of input ids, for remembering what a call has already applied.

A call remembers a bounded list of 64-bit digests (16 hex characters) rather
than the ids themselves: ids are up to 512 characters, digests are fixed and
small, and a collision between two ids of the same call is astronomically
unlikely (about n²/2⁶⁵ for n ids).
"""

from __future__ import annotations

import hashlib

from streams.decide.inputs import (
    CallEventIn,
    Input,
    SourceIn,
    SupervisorIn,
    ToolCallIn,
    ToolResultIn,
)
from streams.state.calls import DIGEST_CHARS


def digest(kind: str, identifier: str) -> str:
    """The digest of an input id within its kind (``"req"``, ``"res"``, ``"ev"``, ...)."""
    data = f"{kind}\x00{identifier}".encode()
    return hashlib.blake2b(data, digest_size=DIGEST_CHARS // 2).hexdigest()


def input_digest(item: Input) -> str:
    """The digest that identifies ``item`` as a duplicate of an earlier input."""
    match item:
        case CallEventIn():
            return digest("ev", item.record.event_id)
        case ToolCallIn():
            return digest("req", item.record.request_id)
        case ToolResultIn():
            return digest("res", item.record.request_id)
        case SupervisorIn():
            return digest("sup", item.record.message_id)
        case SourceIn():
            return digest("src", f"{item.record.source}\x00{item.record.event_id}")


def remember(seen: tuple[str, ...], new: str, limit: int) -> tuple[str, ...]:
    """``seen`` with ``new`` appended, keeping at most ``limit`` (the oldest go first)."""
    if not new or new in seen:
        return seen
    kept = (*seen, new)
    return kept[-limit:] if len(kept) > limit else kept
