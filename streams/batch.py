"""One batch of records from the co-partitioned topics: decisions, outputs, state writes.

The join loop hands every batch here, and every clock tick. Records are
taken in arrival order; each is decoded, routed to the pure decision for its
kind (call join, correlation index) against the state as the batch has left
it so far, and its outputs appended in order; a tick expires what is due.
Nothing is written here: the result lists the outputs (to send first) and the
final state of every key the batch touched (to write only once the outputs
are acknowledged: ``streams.runtime.checkpoint`` says why that order matters).

No Kafka: state is read through a function, so unit tests drive whole
scenarios through this class with plain dicts.
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import structlog
from structlog.contextvars import bind_contextvars, unbind_contextvars

from callstream.errors import RecordError
from callstream.records import Injection, decode
from callstream.records.followups import undelivered_reason
from callstream.topics import Topics
from callstream.tracing import TraceParent
from streams.correlation import resolve as correlation
from streams.correlation.index import IndexEntry, decode_entry, encode_entry
from streams.decide import calls as call_join
from streams.decide import expiry, followups
from streams.decide.inputs import Input, ToolCallIn, ToolResultIn, decode_input
from streams.decide.outputs import DeadLetterOut, ForwardToCall, Output
from streams.decide.rules import Rules
from streams.partitioning import partition_for
from streams.state.calls import CallState, decode_call, encode_call
from streams.state.held import InputKind, Origin
from streams.wire import (
    INDEX_KIND,
    Forwarded,
    as_input_kind,
    parse_forwarded,
    parse_index,
)

log = structlog.get_logger(__name__)

# Bound to the logging context while one record's call is decided.
_BOUND = ("call_control_id", "request_id")

T = TypeVar("T")

TableName = Literal["calls", "index"]
Key = tuple[TableName, str]

Reader = Callable[[TableName, str], bytes | None]
"""Reads a table's stored bytes for a key (``None`` when absent)."""

DueKeys = Callable[[TableName, int, float], Iterable[str]]
"""The keys of a table on a partition whose recorded deadline is at or before a time."""


@dataclass(frozen=True, slots=True)
class RawRecord:
    """A consumed record, as the batch needs it."""

    topic: str
    partition: int
    offset: int
    timestamp: float
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes | None]] = ()
    trace: TraceParent | None = None
    """Its W3C trace context (read from its headers only where tracing is on)."""


@dataclass
class BatchResult:
    """Outputs to send (in order), then state to write."""

    outputs: list[Output] = field(default_factory=list)
    writes: dict[Key, bytes | None] = field(default_factory=dict)
    deadlines: dict[Key, tuple[float | None, str]] = field(default_factory=dict)
    """Next deadline and a status label of every written key, for the deadline index."""
    consumed: Counter[str] = field(default_factory=Counter)
    """Records in, by topic role."""
    misrouted: Counter[str] = field(default_factory=Counter)
    corrupt_state: int = 0


_KIND_OF_ROLE: dict[str, InputKind] = {
    "call-events": "call_event",
    "tool-calls": "tool_call",
    "tool-results": "tool_result",
    "supervisor": "supervisor",
}


class BatchDecider:
    """Decides batches of records, and clock ticks, for the partitions this worker owns."""

    def __init__(self, rules: Rules, topics: Topics, partitions: int, due: DueKeys) -> None:
        self.rules = rules
        self.partitions = partitions
        self.due = due
        core = topics.core()
        self._roles = {core[role]: role for role in _KIND_OF_ROLE}
        self._roles[topics.streams_by_call] = "by-call"
        self._roles[topics.streams_by_key] = "by-key"
        self._roles[topics.undelivered] = "undelivered"

    @property
    def topics(self) -> list[str]:
        """The topics this decider consumes (all co-partitioned)."""
        return list(self._roles)

    def role(self, topic: str) -> str:
        """What ``topic`` is to the join (``call-events``, ``by-key``, ...; ``unknown``)."""
        return self._roles.get(topic, "unknown")

    def deadline(self, table: TableName, value: bytes) -> tuple[float | None, str]:
        """A stored value's next deadline and status label (for the deadline index)."""
        try:
            if table == "calls":
                state = decode_call(value)
                return expiry.next_deadline(state, self.rules), state.status
            entry = decode_entry(value)
            return correlation.next_deadline(entry, self.rules), "held" if entry.held else "keys"
        except ValueError:
            return 0.0, "corrupt"  # due at once: the tick decides what to do with it

    def run(self, records: Iterable[RawRecord], read: Reader, now: float) -> BatchResult:
        """Decide ``records`` in order against the stored state ``read`` gives."""
        return _Batch(self, read, now).run(records)

    def tick(self, partitions: Iterable[int], read: Reader, now: float) -> BatchResult:
        """Expire what is due at ``now`` on each of ``partitions`` (grace, retention, idle)."""
        batch = _Batch(self, read, now)
        for partition in partitions:
            batch.tick(partition)
        return batch.finish()


class _Batch:
    """The working state of one batch: a read-through cache of decoded state."""

    def __init__(self, decider: BatchDecider, read: Reader, now: float) -> None:
        self._d = decider
        self._rules = decider.rules
        self._read = read
        self._now = now
        self._calls: dict[str, CallState | None] = {}
        self._entries: dict[str, IndexEntry | None] = {}
        self.result = BatchResult()

    def run(self, records: Iterable[RawRecord]) -> BatchResult:
        for record in records:
            role = self._d.role(record.topic)
            self.result.consumed[role] += 1
            try:
                self._one(role, record)
            except Exception as exc:  # one bad record must never stop the worker
                error = "".join(traceback.format_exception_only(exc)).strip()
                log.exception(
                    "internal_error",
                    topic=record.topic,
                    offset=record.offset,
                    detail="the record could not be decided; it is dead-lettered",
                )
                self.result.outputs.append(
                    DeadLetterOut(
                        record.value, _origin(record), "internal_error", error, key=record.key
                    )
                )
            finally:
                unbind_contextvars(*_BOUND)  # what _apply bound names this record's lines only
        return self.finish()

    # -- state -----------------------------------------------------------------

    def _call(self, call: str) -> CallState | None:
        if call not in self._calls:
            raw = self._read("calls", call)
            self._calls[call] = None if raw is None else self._decoded(raw, decode_call, call)
        return self._calls[call]

    def _entry(self, key: str) -> IndexEntry | None:
        if key not in self._entries:
            raw = self._read("index", key)
            self._entries[key] = None if raw is None else self._decoded(raw, decode_entry, key)
        return self._entries[key]

    def _decoded(self, raw: bytes, decoder: Callable[[bytes], T], key: str) -> T | None:
        try:
            return decoder(raw)
        except ValueError:
            # Only a bug or a foreign writer could put this in our changelog; start over.
            log.exception("corrupt_state", key=key, detail="stored state unreadable; started over")
            self.result.corrupt_state += 1
            return None

    def finish(self) -> BatchResult:
        """The result, with the final state of every key the batch changed encoded."""
        rules = self._rules
        for call, state in self._calls.items():
            if ("calls", call) not in self.result.writes:
                continue
            encoded = None if state is None else encode_call(state)
            self.result.writes["calls", call] = encoded
            self.result.deadlines["calls", call] = (
                (None, "") if state is None else (expiry.next_deadline(state, rules), state.status)
            )
        for key, entry in self._entries.items():
            if ("index", key) not in self.result.writes:
                continue
            self.result.writes["index", key] = None if entry is None else encode_entry(entry)
            self.result.deadlines["index", key] = (
                (None, "")
                if entry is None
                else (correlation.next_deadline(entry, rules), "held" if entry.held else "keys")
            )
        return self.result

    def _store_call(self, call: str, state: CallState | None, outputs: Sequence[Output]) -> None:
        if state is not self._calls.get(call):
            self._calls[call] = state
            self.result.writes["calls", call] = None  # placeholder: encoded in _finish
        self.result.outputs.extend(outputs)

    def _store_entry(self, key: str, entry: IndexEntry | None, outputs: Sequence[Output]) -> None:
        if entry is not self._entries.get(key):
            self._entries[key] = entry
            self.result.writes["index", key] = None
        self.result.outputs.extend(outputs)

    # -- records ---------------------------------------------------------------

    def _one(self, role: str, record: RawRecord) -> None:
        if role in _KIND_OF_ROLE:
            self._core(_KIND_OF_ROLE[role], record)
        elif role == "by-call":
            self._by_call(record)
        elif role == "by-key":
            self._by_key(record)
        elif role == "undelivered":
            self._undelivered(record)

    def _dead(self, record: RawRecord, origin: Origin, reason: str, error: str) -> None:
        dead = DeadLetterOut(record.value, origin, reason, error, key=record.key)
        self.result.outputs.append(dead)

    def _core(self, kind: InputKind, record: RawRecord) -> None:
        origin = _origin(record)
        try:
            item = decode_input(kind, record.value, origin, self._rules.sources)
        except RecordError as exc:
            self._dead(record, origin, exc.reason, exc.detail)
            return
        call = item.call_control_id
        if partition_for(call, self._d.partitions) != record.partition:
            # Its producer hashed the key differently (or keyed it by something else):
            # send it to the partition that owns the call, where its state lives.
            self.result.misrouted[record.topic] += 1
            self.result.outputs.append(ForwardToCall(call, kind, item.raw, origin))
            return
        self._apply(item)

    def _apply(self, item: Input) -> None:
        call = item.call_control_id
        bind_contextvars(call_control_id=call)
        if isinstance(item, ToolCallIn | ToolResultIn):
            bind_contextvars(request_id=item.record.request_id)
        decision = call_join.decide(self._call(call), item, self._rules, self._now)
        self._store_call(call, decision.state, decision.outputs)

    def _forwarded(self, record: RawRecord) -> Forwarded | None:
        """The internal record's headers; ``None`` (and a dead letter) if they are not ours."""
        try:
            return parse_forwarded(record.headers)
        except ValueError as exc:
            # Only a foreign writer puts such a record on an internal topic: its input, not a bug.
            self._dead(record, _origin(record), "schema", f"not an internal record: {exc}")
            return None

    def _by_call(self, record: RawRecord) -> None:
        forwarded = self._forwarded(record)
        if forwarded is None:
            return
        origin = forwarded.origin or _origin(record)
        call = forwarded.call
        if call is None or partition_for(call, self._d.partitions) != record.partition:
            error = f"forwarded record for call {call!r} arrived on partition {record.partition}"
            self._dead(record, origin, "misrouted", error)
            return
        try:
            kind = as_input_kind(forwarded.kind)
        except ValueError as exc:
            self._dead(record, origin, "schema", str(exc))
            return
        try:
            item = decode_input(
                kind, record.value, origin, self._rules.sources, call_control_id=call
            )
        except RecordError as exc:
            self._dead(record, origin, exc.reason, exc.detail)
            return
        if item.call_control_id != call:
            self._dead(record, origin, "misrouted", f"record names another call than {call}")
            return
        self._apply(item)

    def _by_key(self, record: RawRecord) -> None:
        forwarded = self._forwarded(record)
        if forwarded is None:
            return
        key = (record.key or b"").decode(errors="replace")
        if partition_for(key, self._d.partitions) != record.partition:
            origin = forwarded.origin or _origin(record)
            self._dead(record, origin, "misrouted", f"key {key!r} on partition {record.partition}")
            return
        if forwarded.kind == INDEX_KIND:
            try:
                change = parse_index(key, record.value)
            except ValueError as exc:
                self._dead(record, forwarded.origin or _origin(record), "schema", str(exc))
                return
            updated = correlation.update(self._entry(key), change, self._now)
            self._store_entry(key, updated.entry, updated.outputs)
            return
        origin = forwarded.origin or _origin(record)
        if forwarded.route is None or forwarded.route.key != key or record.value is None:
            self._dead(record, origin, "misrouted", "source event without a matching route")
            return
        resolved = correlation.resolve(
            self._entry(key), forwarded.route, record.value, origin, self._now
        )
        self._store_entry(key, resolved.entry, resolved.outputs)

    def _undelivered(self, record: RawRecord) -> None:
        """An injection the injector could not deliver: gathered for its call's follow-up."""
        origin = _origin(record)
        try:
            injection = decode(Injection, record.value)
            reason = undelivered_reason(record.headers)
        except RecordError as exc:
            self._dead(record, origin, exc.reason, exc.detail)
            return
        call = injection.call_control_id
        if partition_for(call, self._d.partitions) != record.partition:
            self._dead(
                record, origin, "misrouted", f"call {call!r} on partition {record.partition}"
            )
            return
        bind_contextvars(call_control_id=call)
        state, outputs = followups.undelivered(
            self._call(call),
            injection,
            reason,
            timestamp=injection.created_at.timestamp(),  # stable however late it is reported
            rules=self._rules,
            now=self._now,
        )
        self._store_call(call, state, outputs)

    def tick(self, partition: int) -> None:
        """Expire every key of ``partition`` whose deadline has come."""
        now, rules = self._now, self._rules
        for call in list(self._d.due("calls", partition, now)):
            state = self._call(call)
            if state is None or expiry.next_deadline(state, rules) > now:
                continue
            decision = expiry.expire(state, call, rules, now)
            self._store_call(call, decision.state, decision.outputs)
        for key in list(self._d.due("index", partition, now)):
            entry = self._entry(key)
            deadline = None if entry is None else correlation.next_deadline(entry, rules)
            if entry is None or deadline is None or deadline > now:
                continue
            expired = correlation.expire(entry, rules, now)
            self._store_entry(key, expired.entry, expired.outputs)


def _origin(record: RawRecord) -> Origin:
    if record.trace is None:
        return Origin(record.topic, record.partition, record.offset, record.timestamp)
    trace = (record.trace,)
    return Origin(record.topic, record.partition, record.offset, record.timestamp, trace=trace)
