"""Terminal outcomes: ended and unknown calls, expiry, rejections, and poison records."""

from __future__ import annotations

from callstream.kafka import KafkaConnection
from callstream.records import DeadLetter, encode
from callstream.records.followups import undelivered_reason
from callstream.topics import Topics
from devkit.emulator import EmulatorControl, EmulatorThread, FaultRule, Faults
from devkit.testing.kafka import consume, produce
from tests.integration.injector.conftest import API_KEY
from tests.integration.injector.harness import (
    dead_letters,
    deliveries,
    injection,
    injector_in_thread,
    produce_injections,
    settings_for,
)


def test_terminal_outcomes_are_recorded_once_without_retries(
    kafka_conn: KafkaConnection,
    topics: Topics,
    emulator: EmulatorThread,
    control: EmulatorControl,
) -> None:
    """422/90018 and 404 end a call after one request; later ones skip it; expired, rejected
    and poison records go to the DLQ with their original bytes."""
    ended = control.start_call()
    control.hang_up(ended)
    unknown = "v3:never-started-call"
    live = control.start_call()
    refused = control.start_call()
    control.set_faults(
        Faults(rules=(FaultRule(status=400, call_control_ids=frozenset({refused})),))
    )
    expired = injection(live, 0, expires_in_s=-1)
    items = [
        injection(ended, 0),
        injection(ended, 1),  # skipped: the call is known to have ended
        injection(unknown, 0),
        expired,
        injection(live, 1),
        injection(refused, 0),
    ]
    produce_injections(kafka_conn, topics, items)
    poison = b'{"injection_id": "x", "messages": "not a list"'
    produce(kafka_conn, topics.injections, [(b"v3:poison", poison)])

    settings = settings_for(kafka_conn, topics, base_url=emulator.base_url, api_key=API_KEY)
    with injector_in_thread(settings):
        found = deliveries(kafka_conn, topics, expect=len(items), settle_s=1.0)
        letters = dead_letters(kafka_conn, topics, expect=3)
        unheard = consume(kafka_conn, [topics.undelivered], expect=4, settle_s=1.0)

    by_id = {d.injection_id: d for d in found}
    assert len(found) == len(items) == len(by_id), "one record per injection, no repeats"
    outcome = {i.injection_id: by_id[i.injection_id] for i in items}
    first_end, skipped, not_found, too_late, delivered, rejected = (
        outcome[i.injection_id] for i in items
    )
    assert (first_end.outcome, first_end.status_code, first_end.attempts) == ("call_ended", 422, 1)
    assert (skipped.outcome, skipped.attempts) == ("call_ended", 0)
    assert (not_found.outcome, not_found.status_code, not_found.attempts) == ("call_ended", 404, 1)
    assert (too_late.outcome, too_late.attempts) == ("expired", 0)
    assert (delivered.outcome, delivered.attempts) == ("delivered", 1)
    assert (rejected.outcome, rejected.status_code, rejected.attempts) == ("rejected", 400, 1)
    assert len(control.transcript(ended)["requests"]) == 1, "the ended call was called once"
    assert [e["command_id"] for e in control.transcript(live)["injected"]] == [
        items[4].injection_id
    ], "the expired message was never sent"

    # What the calls never heard goes, unchanged, to the streams worker for its follow-ups.
    assert sorted((undelivered_reason(r.headers), r.value) for r in unheard) == sorted(
        [("call_ended", encode(i)) for i in items[:3]] + [("expired", encode(expired))]
    )

    by_reason = {DeadLetter.from_headers(r.headers).reason: r for r in letters}
    assert set(by_reason) == {"expired", "rejected", "invalid_json"}
    assert by_reason["expired"].value == encode(expired)
    assert by_reason["invalid_json"].value == poison
    meta = DeadLetter.from_headers(by_reason["rejected"].headers)
    assert (meta.stage, meta.topic, meta.call_control_id) == (
        "injector",
        topics.injections,
        refused,
    )
