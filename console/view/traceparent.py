"""The trace id of a record, from its W3C ``traceparent`` header (Trace Context, level 1)."""

from __future__ import annotations

import re
from collections.abc import Sequence

HEADER = "traceparent"

# version "-" trace-id "-" parent-id "-" trace-flags, lower-case hex.
_TRACEPARENT = re.compile(
    r"(?P<version>[0-9a-f]{2})-(?P<trace_id>[0-9a-f]{32})-(?P<span_id>[0-9a-f]{16})"
    r"-(?P<flags>[0-9a-f]{2})(?P<rest>-.*)?"
)
_INVALID_TRACE = "0" * 32
_INVALID_SPAN = "0" * 16


def trace_id(value: str) -> str | None:
    """The trace id of a ``traceparent`` value, or None when it is not a valid one.

    Version ``ff`` is forbidden; version ``00`` has exactly four fields; a later
    version may append fields, which are ignored (the specification's rule).
    All-zero trace or parent ids are invalid.
    """
    found = _TRACEPARENT.fullmatch(value.strip())
    if found is None or found["version"] == "ff":
        return None
    if found["version"] == "00" and found["rest"]:
        return None
    if found["trace_id"] == _INVALID_TRACE or found["span_id"] == _INVALID_SPAN:
        return None
    return found["trace_id"]


def trace_of(headers: Sequence[tuple[str, bytes | None]]) -> str | None:
    """The trace id in a record's ``traceparent`` header, if it has a valid one."""
    for name, value in headers:
        if name.lower() == HEADER and value:
            return trace_id(value.decode("ascii", errors="replace"))
    return None
