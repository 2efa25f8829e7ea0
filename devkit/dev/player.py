"""Plays the reference scenario against a running pipeline, through its real interfaces.

The emulator starts the call (signed webhooks to the ingress) and plays the
assistant (async tool webhooks); a CRM update is POSTed to the ingress with a
bearer token; a fraud alert is produced straight onto its Kafka topic; the
supervisor's note goes to ``/calls/{id}/messages``; the emulator hangs up; a
late ticket update follows. After each step the player waits, showing
progress, until the step's messages reached the call, then reads the
injector's delivery records (for latency) and the dead-letter topic. When it
observes the topics, it also fires a slow lookup just before the hangup and
waits for its follow-up record and the SMS the caller gets for it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from confluent_kafka import Consumer, Producer, TopicPartition

from callstream.errors import RecordError
from callstream.kafka import KafkaConnection, consumer_config, producer_config
from callstream.records import DeadLetter, Delivery, Followup, Injection, decode
from callstream.topics import Topics
from devkit.dev import scenario
from devkit.dev.timeline import Row, delivered_rows
from devkit.emulator import EmulatorControl
from devkit.errors import DevStackError

Progress = Callable[[str, float], None]
"""Called while waiting: what is awaited, seconds waited so far."""


def _quiet(_: str, __: float) -> None:
    return None


@dataclass(frozen=True)
class Target:
    """A running pipeline: where its front door, its remote and its broker are."""

    ingress_url: str
    emulator_url: str
    token: str
    conn: KafkaConnection
    topics: Topics


@dataclass
class Outcome:
    """What one play of the scenario produced."""

    call_control_id: str
    started_at: float
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    guardrails: list[str] = field(default_factory=list)
    """One line per injection a guardrail shaped beyond quoting (from its record)."""

    @property
    def ok(self) -> bool:
        return not self.problems


class _Tail:
    """Records written to some topics after this object was made (one consumer, no group)."""

    def __init__(self, conn: KafkaConnection, topics: list[str]) -> None:
        self._consumer = Consumer(
            consumer_config(conn, "callstream-demo", f"callstream-demo-{uuid.uuid4()}")
        )
        assignment = []
        for topic in topics:
            metadata = self._consumer.list_topics(topic, timeout=10).topics[topic]
            for partition in metadata.partitions:
                _, high = self._consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=10
                )
                assignment.append(TopicPartition(topic, partition, high))
        self._consumer.assign(assignment)
        self.seen: dict[str, list[Any]] = {topic: [] for topic in topics}

    def drain(self) -> None:
        for message in self._consumer.consume(500, timeout=0.05):
            if message.error() is None and message.topic() is not None:
                self.seen[str(message.topic())].append(message)

    def close(self) -> None:
        self._consumer.close()


class ScenarioPlayer:
    """One play of ``devkit.dev.scenario`` against ``target``, for one caller.

    With ``observe`` (the default) it also reads the injections, deliveries
    and dead-letter topics for latencies and the late event's fate; without
    it (many concurrent players) it judges the call by its transcript alone.
    Concurrent players can share one thread-safe ``producer``.
    """

    def __init__(
        self,
        target: Target,
        *,
        persona: scenario.Persona = scenario.REFERENCE,
        timeout_s: float = 60.0,
        progress: Progress = _quiet,
        observe: bool = True,
        producer: Producer | None = None,
    ) -> None:
        self._target = target
        self._shared_producer = producer
        self._persona = persona
        self._timeout_s = timeout_s
        self._progress = progress
        self._observe = observe
        self._run = uuid.uuid4().hex[:10]
        self._tools_by_request: dict[str, str] = {}
        self._notes: list[str] = []

    def play(self) -> Outcome:
        topics = self._target.topics
        watched = [topics.injections, topics.deliveries, topics.dlq, topics.followups]
        watched.append(topics.streams_tool_runs)
        tail = _Tail(self._target.conn, watched) if self._observe else None
        producer = self._shared_producer or Producer(
            producer_config(self._target.conn, "callstream-demo")
        )
        control = EmulatorControl(self._target.emulator_url)
        http = httpx.Client(base_url=self._target.ingress_url, timeout=30.0)
        try:
            return self._play(control, http, producer, tail)
        finally:
            http.close()
            control.close()
            producer.flush(10)
            if tail is not None:
                tail.close()

    # -- the scenario ---------------------------------------------------------------
    def _play(
        self, control: EmulatorControl, http: httpx.Client, producer: Producer, tail: _Tail | None
    ) -> Outcome:
        persona = self._persona
        started = time.time()
        call = control.start_call(from_number=persona.caller, to_number=scenario.ASSISTANT_NUMBER)
        outcome = Outcome(call, started_at=started)
        rows = outcome.rows
        rows.append(Row(started, "action", "call", f"call answered: {persona.caller} -> assistant"))
        fired = time.time()
        for tool, arguments in scenario.tools(persona):
            answer = control.fire_tool(call, tool, arguments)
            if answer["status"] != 202:
                raise DevStackError(f"the ingress refused {tool}: {answer}")
            self._tools_by_request[answer["body"]["request_id"]] = tool
        names = ", ".join(tool for tool, _ in scenario.tools(persona))
        rows.append(Row(fired, "action", "assistant", f"fired {names} (async)"))
        expected = 0
        for step in scenario.STEPS:
            at = time.time()
            when = datetime.fromtimestamp(at, UTC)
            if step.channel == "http-event":
                for event in scenario.crm_events(persona, self._run, when):
                    self._post(http, "/events/crm", event)
                    text = f"profile.updated for {persona.caller_as_crm_writes_it}"
                    rows.append(Row(time.time(), "action", "crm (HTTP)", text))
            elif step.channel == "kafka-event":
                self._produce(producer, scenario.fraud_alert(persona, self._run, when))
                text = f"fraud.alert for customer {persona.customer_id}"
                rows.append(Row(at, "action", "fraud (Kafka)", text))
            elif step.channel == "supervisor":
                self._post(http, f"/calls/{call}/messages", {"content": scenario.SUPERVISOR_NOTE})
                rows.append(Row(at, "action", "supervisor", "note posted"))
            expected += len(step.expects)
            self._await_messages(control, call, expected, step.expects[-1].label)
        late_request = None if tail is None else self._fire_late_lookup(control, tail, call, rows)
        rows.append(Row(time.time(), "action", "call", "caller hung up"))
        control.hang_up(call)
        at = time.time()
        late = scenario.late_ticket(self._run, call, datetime.fromtimestamp(at, UTC))
        self._post(http, "/events/ticketing", late)
        rows.append(Row(at, "action", "ticketing (HTTP)", "ticket.updated after the hangup"))
        injected = control.transcript(call)["injected"]
        outcome.problems += scenario.check_transcript(injected)
        if tail is None:
            rows += delivered_rows(injected, latencies={}, sources={})
            return outcome
        dead_at, reason = self._await_dead_letter(tail, call)
        rows.append(Row(dead_at, "dead-lettered", "ticketing", f"dead-lettered: {reason}"))
        if reason != "call_ended":
            outcome.problems.append(f"the late event was dead-lettered {reason!r}, not call_ended")
        assert late_request is not None
        outcome.problems += self._await_followup(control, tail, call, late_request, rows)
        latencies, sources = self._await_records(tail, call, len(injected))
        rows += delivered_rows(injected, latencies=latencies, sources=sources)
        outcome.guardrails = self._notes
        return outcome

    # -- steps ------------------------------------------------------------------------
    def _post(self, http: httpx.Client, path: str, body: dict[str, Any]) -> None:
        response = http.post(
            path, json=body, headers={"authorization": f"Bearer {self._target.token}"}
        )
        if response.status_code != 202:
            raise DevStackError(f"POST {path} answered {response.status_code}: {response.text}")

    def _produce(self, producer: Producer, alert: dict[str, Any]) -> None:
        failures: list[str] = []
        producer.produce(
            self._target.topics.source("fraud"),
            key=self._persona.customer_id.encode(),
            value=json.dumps(alert).encode(),
            on_delivery=lambda err, _: failures.append(str(err)) if err else None,
        )
        if producer.flush(30) or failures:
            raise DevStackError(f"the fraud alert was not acknowledged by Kafka: {failures}")

    def _deadline_loop(self, what: str) -> Iterator[None]:
        started = time.monotonic()
        while (waited := time.monotonic() - started) < self._timeout_s:
            self._progress(what, waited)
            yield
            time.sleep(0.05)  # polling the emulator / the topics for a condition
        raise DevStackError(f"gave up after {self._timeout_s:.0f} s waiting for {what}")

    def _await_messages(self, control: EmulatorControl, call: str, count: int, label: str) -> None:
        for _ in self._deadline_loop(label):
            if len(control.transcript(call)["injected"]) >= count:
                return

    def _await_dead_letter(self, tail: _Tail, call: str) -> tuple[float, str]:
        for _ in self._deadline_loop("the late event's dead letter"):
            tail.drain()
            for message in tail.seen[self._target.topics.dlq]:
                try:
                    letter = DeadLetter.from_headers(message.headers())
                except ValueError:
                    continue
                ticketing = self._target.topics.source("ticketing")
                if letter.call_control_id == call and letter.topic == ticketing:
                    return letter.at.timestamp(), letter.reason
        raise AssertionError("unreachable")  # the loop raises on timeout

    def _fire_late_lookup(
        self, control: EmulatorControl, tail: _Tail, call: str, rows: list[Row]
    ) -> str:
        """Fire the slow lookup; return its request id once the tool runner has it (so the
        hangup cannot overtake the request itself)."""
        fired = time.time()
        answer = control.fire_tool(call, scenario.LATE_TOOL, scenario.late_lookup(self._persona))
        if answer["status"] != 202:
            raise DevStackError(f"the ingress refused {scenario.LATE_TOOL}: {answer}")
        request_id = str(answer["body"]["request_id"])
        self._tools_by_request[request_id] = scenario.LATE_TOOL
        text = f"fired {scenario.LATE_TOOL} (async; the caller agreed to texts)"
        rows.append(Row(fired, "action", "assistant", text))
        for _ in self._deadline_loop(f"the {scenario.LATE_TOOL} lookup to start"):
            tail.drain()
            runs = tail.seen[self._target.topics.streams_tool_runs]
            if any(request_id.encode() in (m.value() or b"") for m in runs):
                return request_id
        raise AssertionError("unreachable")  # the loop raises on timeout

    def _await_followup(
        self, control: EmulatorControl, tail: _Tail, call: str, request_id: str, rows: list[Row]
    ) -> list[str]:
        """Wait for the late lookup's follow-up record and its SMS; what is wrong with them."""
        caller = self._persona.caller
        found: Followup | None = None
        texts: list[dict[str, Any]] = []
        for _ in self._deadline_loop("the follow-up of the late lookup, and its SMS"):
            tail.drain()
            for message in tail.seen[self._target.topics.followups]:
                try:
                    record = decode(Followup, message.value())
                except RecordError:
                    continue
                if record.call_control_id == call and request_id in record.cause_ids:
                    found = record
            if found is not None:
                mine = found.followup_id
                texts = [t for t in control.texts(caller) if t["idempotency_key"] == mine]
                if texts or found.sms is None:
                    break
        assert found is not None
        what = ", ".join(found.event_types)
        text = f"record for {what}: the call never heard it"
        rows.append(Row(found.created_at.timestamp(), "followed-up", "follow-up", text))
        rows.extend(
            Row(float(text["at"]), "followed-up", f"SMS to {caller}", text["text"])
            for text in texts
        )
        problems = []
        if "ticketing" in found.sources:
            problems.append("the late ticket update was followed up; tickets are not by default")
        if len(texts) != 1:
            problems.append(f"expected one SMS to {caller}, found {len(texts)}")
        return problems

    def _await_records(
        self, tail: _Tail, call: str, count: int
    ) -> tuple[dict[str, float], dict[str, str]]:
        """Latency per injection id (from deliveries) and a source label per injection id."""
        latencies: dict[str, float] = {}
        sources: dict[str, str] = {}
        notes: dict[str, str] = {}
        topics = self._target.topics
        for _ in self._deadline_loop("the delivery records"):
            tail.drain()
            for message in tail.seen[topics.deliveries]:
                try:
                    delivery = decode(Delivery, message.value())
                except RecordError:
                    continue
                if delivery.call_control_id == call and delivery.latency_ms is not None:
                    latencies[delivery.injection_id] = delivery.latency_ms
            for message in tail.seen[topics.injections]:
                try:
                    injection = decode(Injection, message.value())
                except RecordError:
                    continue
                if injection.call_control_id == call:
                    sources[injection.injection_id] = self._label(injection)
                    notes[injection.injection_id] = _guardrails_note(injection)
            if len(latencies) >= count and len(sources) >= count:
                break
        self._notes = [note for note in notes.values() if note]
        return latencies, sources

    def _label(self, injection: Injection) -> str:
        tool = self._tools_by_request.get(injection.cause_id)
        label = f"tool {tool}" if tool else injection.source
        if injection.coalesced:
            label += f" ({len(injection.coalesced) + 1} coalesced)"
        return label


def _guardrails_note(injection: Injection) -> str:
    """What the guardrails did to ``injection``, in a line (empty when it was only quoted)."""
    decisions = [d for d in injection.guardrails if d != "quoted"]
    if not decisions:
        return ""
    note = f"{injection.source} {injection.cause_id}: {', '.join(decisions)}"
    if injection.coalesced:
        note += f" (replaced {', '.join(injection.coalesced)})"
    return note
