"""Reading what happened: the remote's transcripts, and the injections, deliveries and DLQ topics.

``TopicTail`` reads what is written to some topics after it was made (one
consumer, no group, no commits). ``observe`` turns the emulator's transcripts
and the tail's records into the judge's inputs: what was applied to each call
(with the item token each command carried), every raw request, when each call
ended, and why an item did not reach its call (a dead letter's reason, or the
injector's outcome such as ``call_ended``). Only reads; never judges.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, KafkaException, TopicPartition

from callstream.errors import RecordError
from callstream.kafka import KafkaConnection, consumer_config
from callstream.records import DeadLetter, Delivery, Followup, Injection, decode
from callstream.topics import Topics
from devkit.chaos.judge import Applied, Attempt
from devkit.chaos.ledger import tokens_in
from devkit.chaos.senders import QUIET_CLIENT
from devkit.emulator import EmulatorControl


@dataclass(frozen=True)
class TailRecord:
    """One record the tail read."""

    topic: str
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...]


class TopicTail:
    """Records written to ``topics`` after this object was made, read on demand."""

    def __init__(self, conn: KafkaConnection, topics: Sequence[str]) -> None:
        self._consumer = Consumer(
            consumer_config(
                conn, "callstream-chaos-tail", f"callstream-chaos-{uuid.uuid4()}", QUIET_CLIENT
            )
        )
        self._partitions: list[TopicPartition] = []
        for topic in topics:
            metadata = self._consumer.list_topics(topic, timeout=30).topics[topic]
            for partition in metadata.partitions:
                _, high = self._consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=30
                )
                self._partitions.append(TopicPartition(topic, partition, high))
        self._consumer.assign(self._partitions)
        self._next = {(tp.topic, tp.partition): tp.offset for tp in self._partitions}
        self.records: list[TailRecord] = []

    def drain(self, timeout_s: float = 30.0) -> None:
        """Read everything written so far (up to each partition's end as of now)."""
        try:
            ends = {
                (tp.topic, tp.partition): self._consumer.get_watermark_offsets(tp, timeout=10)[1]
                for tp in self._partitions
            }
        except KafkaException:
            return  # the broker is away: there is nothing new to read right now
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and any(self._next[tp] < end for tp, end in ends.items()):
            for message in self._consumer.consume(1000, timeout=0.2):
                topic, partition, offset = message.topic(), message.partition(), message.offset()
                if message.error() is not None or topic is None or partition is None:
                    continue
                if offset is not None:
                    self._next[(topic, partition)] = offset + 1
                headers = message.headers() or []
                pairs = headers.items() if isinstance(headers, dict) else headers
                self.records.append(
                    TailRecord(topic, message.value(), tuple((k, _bytes(v)) for k, v in pairs))
                )

    def close(self) -> None:
        self._consumer.close()


def _bytes(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


@dataclass(frozen=True)
class Outcome:
    """The injector's outcome for an injection that carried a token."""

    token: str
    outcome: str
    attempts: int


@dataclass(frozen=True)
class Letter:
    """A dead letter that carried a token."""

    token: str
    stage: str
    reason: str
    topic: str


@dataclass
class Observation:
    """Everything ``judge`` needs, read from the remote and the topics."""

    applied: list[Applied] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    ended_at: dict[str, float] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    letters: list[Letter] = field(default_factory=list)
    followups: dict[str, set[str]] = field(default_factory=dict)
    """Token -> the ids of the follow-up records that carry it."""

    @property
    def terminal(self) -> dict[str, str]:
        """Token -> why it did not reach its call (dead letter first, then outcome)."""
        found = {o.token: o.outcome for o in self.outcomes if o.outcome != "delivered"}
        found |= {letter.token: letter.reason for letter in self.letters}
        return found

    def ended_results(self, request_topic: str) -> set[str]:
        """Tokens of results and events (not tool requests) that ended ``call_ended``."""
        found = {o.token for o in self.outcomes if o.outcome == "call_ended"}
        found |= {
            letter.token
            for letter in self.letters
            if letter.reason == "call_ended" and letter.topic != request_topic
        }
        return found


def _first_token(messages: Iterable[Mapping[str, Any]]) -> str | None:
    for message in messages:
        found = tokens_in(str(message.get("content", "")))
        if found:
            return found[0]
    return None


def read_transcripts(control: EmulatorControl, calls: Iterable[str], into: Observation) -> None:
    """Add what the remote applied to each of ``calls``, its raw requests, and when it ended."""
    for call in calls:
        transcript = control.transcript(call)
        for position, entry in enumerate(transcript["injected"]):
            into.applied.append(
                Applied(
                    call_control_id=call,
                    token=_first_token(entry["messages"]),
                    command_id=entry["command_id"],
                    arrived_at=float(entry["arrived_at"]),
                    position=position,
                )
            )
        for request in transcript["requests"]:
            into.attempts.append(
                Attempt(
                    call_control_id=call,
                    command_id=request["command_id"],
                    at=float(request["at"]),
                    status=int(request["status"]),
                    note=str(request["note"]),
                )
            )
        if transcript["ended_at"] is not None:
            into.ended_at[call] = float(transcript["ended_at"])


def read_topics(records: Iterable[TailRecord], topics: Topics, into: Observation) -> None:
    """Add the injector's outcomes and the dead letters that carried a token."""
    records = list(records)
    token_of: dict[str, str] = {}
    for record in records:
        if record.topic != topics.injections:
            continue
        try:
            injection = decode(Injection, record.value)
        except RecordError:
            continue  # poison on the injections topic: its dead letter says so
        found = _first_token(m.model_dump() for m in injection.messages)
        if found is not None:
            token_of[injection.injection_id] = found
    for record in records:
        if record.topic == topics.deliveries:
            try:
                delivery = decode(Delivery, record.value)
            except RecordError:
                continue
            token = token_of.get(delivery.injection_id)
            if token is not None:
                into.outcomes.append(Outcome(token, delivery.outcome, delivery.attempts))
        elif record.topic == topics.followups:
            _read_followup(record, into)
        elif record.topic == topics.dlq:
            try:
                letter = DeadLetter.from_headers(record.headers)
            except ValueError:
                continue
            for token in dict.fromkeys(tokens_in(record.value)):
                into.letters.append(Letter(token, letter.stage, letter.reason, letter.topic))


def _read_followup(record: TailRecord, into: Observation) -> None:
    try:
        followup = decode(Followup, record.value)
    except RecordError:
        return
    # Each cause's own message names its item first; the record's other fields (the call's
    # customer id, learnt from a tool's arguments) may carry another item's token.
    for message in followup.messages:
        token = _first_token([message.model_dump()])
        if token is not None:
            into.followups.setdefault(token, set()).add(followup.followup_id)


def observe(
    control: EmulatorControl, calls: Iterable[str], tail: TopicTail, topics: Topics
) -> Observation:
    """Read the transcripts of ``calls`` and everything new on the tail's topics."""
    observation = Observation()
    read_transcripts(control, calls, observation)
    tail.drain()
    read_topics(tail.records, topics, observation)
    return observation
