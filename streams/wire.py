"""Decision outputs as Kafka records, and the headers of the streams' internal topics.

Records forwarded between the worker's own partitions (``streams.by-call``,
``streams.by-key``, ``streams.tool-runs``) keep the original record's bytes as
their value, so a dead letter written three hops later still carries exactly
what arrived, and say in headers what they are and where they came from::

    callstream.kind            call_event | tool_call | tool_result | supervisor | source | index
    callstream.origin          [topic, partition, offset, timestamp, source] (JSON)
    callstream.call-control-id the call (by-call)
    callstream.route           the correlation route (by-key source events, JSON)

This is an internal contract of the streams worker; nothing else reads it. With
tracing on (``callstream.tracing``), the records for ``injections`` and the
dead-letter topic also carry the standard W3C ``traceparent`` (and
``tracestate``) headers; internal records keep the context in the origin.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from callstream.records import DeadLetter, encode
from callstream.records.sources import JSON_VALUE_HEADER
from callstream.topics import Topics
from callstream.tracing import Tracing, from_span
from streams.correlation.route import Route
from streams.decide.injections import at
from streams.decide.outputs import (
    DeadLetterOut,
    Dropped,
    FollowUp,
    ForwardToCall,
    ForwardToKey,
    IndexOp,
    IndexUpdate,
    Inject,
    Output,
    Refused,
    RunTool,
)
from streams.partitioning import partition_for
from streams.state.held import InputKind, Origin

KIND = "callstream.kind"
ORIGIN = "callstream.origin"
CALL = "callstream.call-control-id"
ROUTE = "callstream.route"

INDEX_KIND = "index"
_INPUT_KINDS: frozenset[str] = frozenset(
    {"call_event", "tool_call", "tool_result", "supervisor", "source"}
)

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class OutRecord:
    """One record to produce."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers
    partition: int | None = None


@dataclass(frozen=True, slots=True)
class Forwarded:
    """What the headers of an internal record say."""

    kind: str
    origin: Origin | None
    call: str | None
    route: Route | None


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def forward_headers(
    kind: str, origin: Origin | None, *, call: str | None = None, route: Route | None = None
) -> Headers:
    headers = [(KIND, kind.encode())]
    if origin is not None:
        headers.append((ORIGIN, _json(origin.to_json())))
    if call is not None:
        headers.append((CALL, call.encode()))
    if route is not None:
        headers.append((ROUTE, _json(route.to_json())))
    return headers


def parse_forwarded(headers: Sequence[tuple[str, bytes | None]] | None) -> Forwarded:
    """Read an internal record's headers; ``ValueError`` if they are not ours."""
    found = {name: value or b"" for name, value in headers or () if name.startswith("callstream.")}
    if KIND not in found:
        raise ValueError("the record has no callstream.kind header")
    kind = found[KIND].decode()
    if kind != INDEX_KIND and kind not in _INPUT_KINDS:
        raise ValueError(f"unknown callstream.kind {kind!r}")
    try:
        origin = Origin.from_json(json.loads(found[ORIGIN])) if ORIGIN in found else None
        route = Route.from_json(json.loads(found[ROUTE])) if ROUTE in found else None
        call = found[CALL].decode() if CALL in found else None
    except (TypeError, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"unreadable callstream headers: {exc}") from exc
    return Forwarded(kind, origin, call, route)


def as_input_kind(kind: str) -> InputKind:
    if kind not in _INPUT_KINDS:
        raise ValueError(f"{kind!r} is not an input kind")
    return cast(InputKind, kind)


def index_value(update: IndexUpdate) -> bytes:
    return _json({"call": update.call_control_id, "op": update.op})


def parse_index(key: str, value: bytes | None) -> IndexUpdate:
    """An index update record back as a value; ``ValueError`` if it is not one."""
    try:
        doc = json.loads(value or b"")
        call, op = str(doc["call"]), doc["op"]
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"not an index update: {exc}") from exc
    if op not in ("add", "end", "remove"):
        raise ValueError(f"unknown index op {op!r}")
    return IndexUpdate(key, call, cast(IndexOp, op))


def _key(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


class Wire:
    """Turns outputs into records for this deployment's topics.

    With ``tracing``, each injection's record is where its decision becomes a span
    (``streams decision``, the child of its cause's context, linked to the causes it
    replaced), and the record carries that span's context in the W3C headers; a
    dead letter carries its cause's.
    """

    def __init__(self, topics: Topics, partitions: int, tracing: Tracing | None = None) -> None:
        self._topics = topics
        self._partitions = partitions
        self.tracing = tracing

    def _internal(self, topic: str, key: str, value: bytes | None, headers: Headers) -> OutRecord:
        partition = partition_for(key, self._partitions)
        return OutRecord(topic, key.encode(), value, headers, partition)

    def record(self, output: Output, now: float) -> OutRecord | None:
        """The record for ``output`` (``None`` for outputs that are only counted)."""
        topics = self._topics
        record: OutRecord | None = None
        match output:
            case Inject(injection=injection):
                key = injection.call_control_id.encode()
                headers = [] if self.tracing is None else _decided(self.tracing, output, now)
                record = OutRecord(topics.injections, key, encode(injection), headers)
            case FollowUp(followup=followup):
                key = followup.call_control_id.encode()
                record = OutRecord(topics.followups, key, encode(followup), [])
            case DeadLetterOut():
                record = self._dead_letter(output, now)
            case IndexUpdate():
                headers = forward_headers(INDEX_KIND, None)
                value = index_value(output)
                record = self._internal(topics.streams_by_key, output.key, value, headers)
            case ForwardToCall():
                headers = forward_headers(output.kind, output.origin, call=output.call_control_id)
                call = output.call_control_id
                record = self._internal(topics.streams_by_call, call, output.raw, headers)
            case ForwardToKey():
                headers = forward_headers("source", output.origin, route=output.route)
                key_ = output.route.key
                record = self._internal(topics.streams_by_key, key_, output.raw, headers)
            case RunTool():
                headers = forward_headers("tool_call", output.origin, call=output.call_control_id)
                call = output.call_control_id
                record = self._internal(topics.streams_tool_runs, call, output.raw, headers)
            case Dropped() | Refused():
                pass
        return record

    def _dead_letter(self, output: DeadLetterOut, now: float) -> OutRecord:
        meta = DeadLetter(
            stage=output.stage,
            reason=output.reason,
            error=output.error,
            topic=output.origin.topic,
            partition=output.origin.partition,
            offset=output.origin.offset,
            at=at(now),
            call_control_id=output.call_control_id,
        )
        headers = meta.headers()
        if output.origin.trace:
            headers += output.origin.trace[0].headers()
        if output.origin.source is not None and output.json_value:
            headers.append(JSON_VALUE_HEADER)
        return OutRecord(self._topics.dlq, _key(output.key), output.raw, headers)


def _decided(tracing: Tracing, inject: Inject, now: float) -> Headers:
    """The span of the decision that made ``inject`` (from ``now``), as its record's headers."""
    injection, causes = inject.injection, inject.origin.trace
    attributes = {
        "callstream.injection_id": injection.injection_id,
        "callstream.call_control_id": injection.call_control_id,
        "callstream.source": injection.source,
        "callstream.cause_ids": [injection.cause_id, *injection.coalesced],
    }
    with tracing.span(
        "streams decision",
        parent=causes[0] if causes else None,
        links=causes[1:],
        attributes=attributes,
        start_ns=int(now * 1e9),
    ) as span:
        context = from_span(span)
    return [] if context is None else context.headers()
