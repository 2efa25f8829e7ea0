"""Whole scenarios through the batch join, the source router and the wire, in memory."""

from __future__ import annotations

import json

import pytest

from callstream.records import DeadLetter, Injection, decode
from streams import testing as build
from streams.decide.rules import Rules
from streams.partitioning import partition_for
from tests.call_ids import HOSTILE
from tests.unit.streams.conftest import app_config
from tests.unit.streams.decide.test_pacing import CONFIG as PACED
from tests.unit.streams.harness import MemoryWorker

CALL = "v3:reference-call"
PHONE = "+15551230000"
T = 1_000.0


def injections(worker: MemoryWorker) -> list[Injection]:
    return [decode(Injection, record.value) for record in worker.records("injections")]


def dead_letters(worker: MemoryWorker) -> list[tuple[str, str, str]]:
    """(reason, original topic, original value) of each dead letter."""
    found = []
    for record in worker.records("dlq"):
        meta = DeadLetter.from_headers(record.headers)
        found.append((meta.reason, meta.topic, (record.value or b"").decode()))
    return found


@pytest.fixture
def worker(rules: Rules) -> MemoryWorker:
    return MemoryWorker(rules)


def test_the_reference_scenario(worker: MemoryWorker) -> None:
    """Call, two lookups answered in reverse order, CRM by phone, fraud by customer id, hangup,
    a late event: four injections in arrival order, one dead letter."""
    t = worker.topics
    worker.produce_record(t.call_events, build.call_event(CALL, "call.initiated", from_=PHONE))
    worker.produce_record(t.call_events, build.call_event(CALL, "call.answered"))
    worker.produce_record(
        t.tool_calls, build.tool_call(CALL, "r-loyalty", "check_loyalty_points", customer_id="C-42")
    )
    worker.produce_record(
        t.tool_calls, build.tool_call(CALL, "r-order", "lookup_order_status", order_id="ORD-12345")
    )
    worker.run(T)
    order = {"status": "SHIPPED", "tracking": "1Z999AA10123456784", "delivery": "Tomorrow"}
    worker.produce_record(
        t.tool_results, build.tool_result(CALL, "r-order", "lookup_order_status", order)
    )
    worker.run(T + 1)
    loyalty = {"points": 2500, "tier": "Gold"}
    worker.produce_record(
        t.tool_results, build.tool_result(CALL, "r-loyalty", "check_loyalty_points", loyalty)
    )
    worker.run(T + 2)
    crm = build.source_event("CRM-1", "profile.updated", {"name": "Ada"}, phone="(555) 123-0000")
    worker.produce(t.source("crm"), b"(555) 123-0000", crm)
    worker.run(T + 3)
    fraud = build.source_event("F-1", "fraud.alert", {"risk": "high"}, customer_id="C-42")
    worker.produce(t.source("fraud"), b"C-42", fraud)
    worker.run(T + 4)
    worker.produce_record(t.call_events, build.call_event(CALL, "call.hangup"))
    worker.run(T + 5)
    late = build.source_event("TK-1", "ticket.updated", {"status": "open"}, call=CALL)
    worker.produce(t.source("ticketing"), CALL.encode(), late)
    worker.run(T + 6)

    got = injections(worker)
    assert [(i.source, i.cause_id, i.trigger_response) for i in got] == [
        ("tool", "r-order", True),
        ("tool", "r-loyalty", True),
        ("crm", "CRM-1", False),
        ("fraud", "F-1", True),
    ]
    lines = got[0].messages[0].content.splitlines()
    assert lines[0] == "[ORDER LOOKUP COMPLETE]"
    assert lines[2:5] == ["<<<DATA", "request: r-order", "asked: order_id ORD-12345"]
    assert got[3].priority == "urgent"
    assert all(i.call_control_id == CALL for i in got)
    assert dead_letters(worker) == [("call_ended", "ticketing.events", late.decode())]
    # The backend of check_loyalty_points was asked once; order status has no backend.
    runs = worker.records("streams.tool-runs")
    assert [json.loads(r.value or b"")["request_id"] for r in runs] == ["r-loyalty"]


def test_an_event_before_its_call_is_delivered_when_the_call_appears(worker: MemoryWorker) -> None:
    """A CRM event by phone that beats call.initiated waits under the phone and then lands."""
    t = worker.topics
    crm = build.source_event("CRM-0", "order.updated", {"order": "ORD-1"}, phone=PHONE)
    worker.produce(t.source("crm"), PHONE.encode(), crm)
    worker.run(T)
    assert injections(worker) == []
    worker.produce_record(t.call_events, build.call_event(CALL, "call.initiated", from_=PHONE))
    worker.run(T + 1)
    assert [(i.source, i.cause_id) for i in injections(worker)] == [("crm", "CRM-0")]


def test_events_for_calls_that_never_appear_are_dead_lettered_after_the_grace(
    worker: MemoryWorker,
) -> None:
    """By call id or by key, what finds no call within the grace is unknown_call, bytes intact."""
    t = worker.topics
    by_call = build.supervisor("v3:ghost", "m-1", "anyone there?")
    worker.produce_record(t.supervisor, by_call)
    by_key = build.source_event("CRM-9", "order.updated", phone="+15550001111", customer_id="C-9")
    worker.produce(t.source("crm"), b"k", by_key)
    worker.run(T)
    worker.tick(T + 29)
    assert dead_letters(worker) == []
    worker.tick(T + 30)  # the held records expire; the correlated one takes its final pass
    worker.run(T + 30)
    reasons = sorted((reason, topic) for reason, topic, _ in dead_letters(worker))
    assert reasons == [("unknown_call", "crm.events"), ("unknown_call", t.supervisor)]
    assert by_key.decode() in [value for _, _, value in dead_letters(worker)]


REFUSED_IDS = HOSTILE | {"dot": ".", "dot-dot": ".."}


@pytest.mark.parametrize("call_control_id", REFUSED_IDS.values(), ids=REFUSED_IDS.keys())
def test_a_source_event_naming_a_refused_call_id_is_dead_lettered_schema(
    worker: MemoryWorker, call_control_id: str
) -> None:
    """A call id written straight to a source topic is held to the ingress's rule: one the rule
    refuses is dead-lettered ``schema`` with the original bytes and reaches no call."""
    t = worker.topics
    raw = build.source_event("CRM-9", "profile.updated", {"name": "Ada"}, call=call_control_id)
    worker.produce(t.source("crm"), b"key", raw)
    worker.run(T)
    assert dead_letters(worker) == [("schema", t.source("crm"), raw.decode())]
    assert worker.records("streams.by-call") == []
    assert injections(worker) == []


@pytest.mark.parametrize(
    ("role", "value", "reason"),
    [
        ("tool-results", b"{not json", "invalid_json"),
        ("tool-results", b'{"request_id": "r-1"}', "schema"),
        ("call-events", b"[]", "schema"),
        (
            "supervisor",
            json.dumps({"message_id": "m", "call_control_id": "../x", "content": "c"}).encode(),
            "schema",
        ),
    ],
)
def test_poison_is_dead_lettered_and_the_worker_carries_on(
    worker: MemoryWorker, role: str, value: bytes, reason: str
) -> None:
    """A record that is not valid goes to the DLQ with its reason; the next one is processed."""
    t = worker.topics
    worker.produce(t.core()[role], b"key", value)
    worker.produce_record(t.call_events, build.call_event(CALL, "call.initiated"))
    worker.produce_record(t.supervisor, build.supervisor(CALL, "m-1", "still here"))
    worker.run(T)
    assert dead_letters(worker) == [(reason, t.core()[role], value.decode())]
    assert [i.cause_id for i in injections(worker)] == ["m-1"]


@pytest.mark.parametrize(
    ("topic", "headers", "value"),
    [
        ("streams.by-call", (), b"not json"),
        ("streams.by-call", (("callstream.kind", b"nonsense"),), b"{}"),
        (
            "streams.by-call",
            (("callstream.kind", b"index"), ("callstream.call-control-id", CALL.encode())),
            b"{}",
        ),
        ("streams.by-key", (), b'{"wrong": "shape"}'),
        ("streams.by-key", (("callstream.kind", b"index"),), b"not an index update"),
        ("streams.by-key", (("callstream.origin", b"{"), ("callstream.kind", b"source")), b"{}"),
    ],
)
def test_foreign_records_on_internal_topics_are_dead_lettered_as_schema(
    worker: MemoryWorker, topic: str, headers: tuple[tuple[str, bytes], ...], value: bytes
) -> None:
    """A record no worker wrote (headers missing or wrong) is bad input, not an internal error."""
    t = worker.topics
    worker.produce(t.internal()[topic], CALL.encode(), value, headers=headers)
    worker.produce_record(t.call_events, build.call_event(CALL, "call.initiated"))
    worker.produce_record(t.supervisor, build.supervisor(CALL, "m-1", "still here"))
    worker.run(T)
    assert [(reason, topic_) for reason, topic_, _ in dead_letters(worker)] == [
        ("schema", t.internal()[topic])
    ]
    assert [i.cause_id for i in injections(worker)] == ["m-1"]


def test_a_record_on_the_wrong_partition_is_rerouted_to_its_call(worker: MemoryWorker) -> None:
    """A producer that hashes keys differently cannot split a call: the record is forwarded."""
    t = worker.topics
    home = partition_for(CALL, worker.partitions)
    wrong = (home + 1) % worker.partitions
    worker.produce_record(t.call_events, build.call_event(CALL, "call.initiated"))
    note = build.supervisor(CALL, "m-1", "rerouted")
    worker.produce(t.supervisor, CALL.encode(), note.model_dump_json().encode(), partition=wrong)
    worker.run(T)
    assert [i.cause_id for i in injections(worker)] == ["m-1"]
    forwarded = worker.records("streams.by-call")
    assert [r.partition for r in forwarded] == [home]


def test_replaying_a_batch_after_its_state_was_saved_injects_nothing_twice(
    worker: MemoryWorker,
) -> None:
    """Inputs redelivered after a crash (offsets not committed, state saved) are duplicates."""
    t = worker.topics
    worker.produce_record(t.call_events, build.call_event(CALL, "call.initiated"))
    worker.produce_record(t.supervisor, build.supervisor(CALL, "m-1", "once"))
    worker.run(T)
    for record in list(worker.written[t.call_events]) + list(worker.written[t.supervisor]):
        worker.queue.append(record)
    worker.run(T + 1)
    assert [i.cause_id for i in injections(worker)] == ["m-1"]


def test_replaying_after_the_state_was_lost_repeats_the_same_injection(
    worker: MemoryWorker,
) -> None:
    """If the outputs made it but the state did not, the replay yields the same injection id,
    which the injector (ledger, command_id) drops."""
    t = worker.topics
    worker.produce_record(t.call_events, build.call_event(CALL, "call.initiated"))
    worker.produce_record(t.supervisor, build.supervisor(CALL, "m-1", "once"))
    worker.run(T)
    worker.store.clear()
    for record in list(worker.written[t.call_events]) + list(worker.written[t.supervisor]):
        worker.queue.append(record)
    worker.run(T + 1)
    first, second = injections(worker)
    assert first.injection_id == second.injection_id
    assert first.messages == second.messages


def test_a_paced_update_goes_out_on_the_clock_tick_that_is_due() -> None:
    """The outbox's next send is a deadline the tick finds: nothing before it, the one
    coalesced update at it (with the fraud alert in between going out at once)."""
    worker = MemoryWorker(Rules.from_config(app_config(PACED)))
    t = worker.topics
    worker.produce_record(t.call_events, build.call_event(CALL, "call.answered"))
    for n in range(5):
        update = build.source_event(f"CRM-{n}", "profile.updated", {"seq": n}, call=CALL)
        worker.produce(t.source("crm"), CALL.encode(), update)
        worker.run(T + n / 10)
    worker.produce(
        t.source("fraud"), CALL.encode(), build.source_event("F-1", "fraud.alert", call=CALL)
    )
    worker.run(T + 0.6)
    worker.tick(T + 1.9)
    assert [i.cause_id for i in injections(worker)] == ["F-1"]
    worker.tick(T + 2.0)
    got = injections(worker)
    assert [(i.cause_id, i.coalesced) for i in got] == [
        ("F-1", []),
        ("CRM-4", ["CRM-0", "CRM-1", "CRM-2", "CRM-3"]),
    ]
