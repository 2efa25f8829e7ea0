"""An input record held back until what it needs appears, and where it originally came from.

A held record keeps its original bytes and origin (topic, partition, offset,
timestamp of the record as it first reached callstream), so that whatever
happens to it later — delivered when its call appears, or dead-lettered when
the grace period runs out — can name the record a person would look for, and
the dead letter carries the bytes unchanged.

This module holds data and its JSON form only; it never decides anything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from callstream.tracing import TraceParent
from streams.correlation.route import Route

InputKind = Literal["call_event", "tool_call", "tool_result", "supervisor", "source"]
"""What kind of record an input is; the source name says which source for ``source``."""

_KINDS: tuple[InputKind, ...] = ("call_event", "tool_call", "tool_result", "supervisor", "source")

Waits = Literal["call", "request"]
"""What a held input waits for: its call to become known, or its tool request."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record first entered callstream (not the internal topic it travelled through)."""

    topic: str
    partition: int
    offset: int
    timestamp: float
    """The original record's Kafka timestamp, in seconds."""
    source: str | None = None
    """The configured source name, for records from a source topic."""
    trace: tuple[TraceParent, ...] = ()
    """With tracing on: the W3C context the record arrived with (first), then those of the
    older causes its injection replaced (``decide.pacing`` coalescing), for span links."""

    def to_json(self) -> list[Any]:
        data = [self.topic, self.partition, self.offset, self.timestamp, self.source]
        if self.trace:
            data.append([context.to_json() for context in self.trace])
        return data

    @classmethod
    def from_json(cls, data: list[Any]) -> Origin:
        if len(data) == 5:  # written with tracing off (or before it existed)
            topic, partition, offset, timestamp, source = data
            return cls(str(topic), int(partition), int(offset), float(timestamp), source)
        topic, partition, offset, timestamp, source, traced = data
        trace = tuple(TraceParent.from_json(context) for context in traced)
        return cls(str(topic), int(partition), int(offset), float(timestamp), source, trace)

    def replacing(self, older: Origin) -> Origin:
        """This origin, linked to the trace contexts of ``older``, whose injection it replaced."""
        if not older.trace:
            return self
        return replace(self, trace=(*self.trace, *older.trace))


@dataclass(frozen=True, slots=True)
class Held:
    """One input waiting for its call (or its tool request) to be known."""

    kind: InputKind
    raw: bytes
    origin: Origin
    arrived: float
    """When it was first held (processing time, seconds); the grace period counts from here."""
    waits: Waits = "call"
    route: Route | None = None
    """For a source event held under a correlation key: where it is in its resolution."""
    digest: str = ""
    """The input's id digest (``decide.seen``), so a duplicate is not held twice."""

    def to_json(self) -> list[Any]:
        # The raw bytes decoded once already as JSON, so they are valid UTF-8 text.
        return [
            self.kind,
            self.raw.decode(),
            self.origin.to_json(),
            self.arrived,
            self.waits,
            None if self.route is None else self.route.to_json(),
            self.digest,
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> Held:
        kind, raw, origin, arrived, waits, route, digest = data
        if kind not in _KINDS:
            raise ValueError(f"unknown held kind {kind!r}")
        if waits not in ("call", "request"):
            raise ValueError(f"unknown held wait {waits!r}")
        return cls(
            kind=kind,
            raw=str(raw).encode(),
            origin=Origin.from_json(origin),
            arrived=float(arrived),
            waits=waits,
            route=None if route is None else Route.from_json(route),
            digest=str(digest),
        )
