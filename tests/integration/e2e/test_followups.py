"""Results that outlive the call, end to end: one follow-up record, and one SMS where consented.

Real processes, broker and HTTP. Two lookups answered by an enterprise
service (this test, on ``tool-results``) come back after the caller hung up:
both are dead-lettered ``call_ended``, one ``followups`` record carries both,
and the injector texts the caller through the emulator's messaging API only
where the result says the caller consented.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from callstream.config import AppConfig, FollowupRule, SmsConfig
from callstream.records import DeadLetter, Delivery, Followup, ToolResult, decode, encode
from devkit.dev.pipeline import LocalPipeline
from devkit.emulator import EmulatorControl
from devkit.testing.broker import BrokerHandle
from devkit.testing.kafka import consume, produce
from devkit.testing.polling import wait_until
from tests.integration.e2e.conftest import running_pipeline

SENDER = "+15550001111"
TOOLS = ("lookup_order_status", "check_loyalty_points")


def _texting(config: AppConfig) -> AppConfig:
    """The demo's tools answered by an enterprise service (no backend); tool results texted."""
    tools = {name: spec.model_copy(update={"backend": None}) for name, spec in config.tools.items()}
    followups = config.followups.model_copy(
        update={
            "window_s": 3.0,  # the default 10 s would only make the test wait longer
            "sources": {"tool": FollowupRule(sms=True), "fraud": FollowupRule()},
            "sms": SmsConfig(enabled=True, from_number=SENDER),
        }
    )
    return config.model_copy(update={"tools": tools, "followups": followups})


@pytest.fixture(scope="module")
def pipeline(
    kafka_broker: BrokerHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalPipeline]:
    state = Path(tmp_path_factory.mktemp("followups"))
    with running_pipeline(kafka_broker, state, adjust=_texting) as running:
        yield running


def _hang_up_with_two_lookups_in_flight(
    pipeline: LocalPipeline, control: EmulatorControl, caller: str, *, consent: bool
) -> tuple[str, list[str]]:
    """A call fires both lookups and hangs up; then both answers come back."""
    call = control.start_call(from_number=caller, to_number="+15559870000")
    fired = [control.fire_tool(call, tool, {"order_id": "ORD-12345"}) for tool in TOOLS]
    assert [f["status"] for f in fired] == [202, 202], fired
    requests = [str(f["body"]["request_id"]) for f in fired]
    control.hang_up(call)
    answers = [
        ToolResult(
            request_id=request,
            call_control_id=call,
            tool=tool,
            status="ok",
            result={"status": f"SHIPPED-{n}", **({"sms_consent": True} if consent else {})},
            completed_at=datetime.now(UTC),
        )
        for n, (request, tool) in enumerate(zip(requests, TOOLS, strict=True))
    ]
    produce(
        pipeline.conn,
        pipeline.topics.tool_results,
        [(call.encode(), encode(answer)) for answer in answers],
    )
    return call, requests


def _by_call(records: list[Any], call: str) -> list[Any]:
    return [r for r in records if r.key == call.encode()]


def test_late_results_become_one_followup_and_one_sms_only_with_consent(
    pipeline: LocalPipeline,
) -> None:
    """Both results call_ended; exactly one follow-up each call; one SMS, for the consenting
    caller only, with the result text inside the data block."""
    run = uuid.uuid4().int % 10**4
    consenting, declining = f"+1555123{run:04d}", f"+1555124{run:04d}"
    with EmulatorControl(pipeline.target.emulator_url) as control:
        texted, texted_requests = _hang_up_with_two_lookups_in_flight(
            pipeline, control, consenting, consent=True
        )
        silent, silent_requests = _hang_up_with_two_lookups_in_flight(
            pipeline, control, declining, consent=False
        )
        wait_until(
            lambda: len(control.texts(consenting)) >= 1, timeout_s=90, what="the follow-up SMS"
        )
        topics = pipeline.topics
        found = consume(pipeline.conn, [topics.followups], expect=2, timeout_s=60, settle_s=3)
        sms = control.texts(consenting)
        assert control.texts(declining) == []

    records = {
        call: [decode(Followup, r.value) for r in _by_call(found, call)]
        for call in (texted, silent)
    }
    assert [len(records[texted]), len(records[silent])] == [1, 1], records
    for call, requests in ((texted, texted_requests), (silent, silent_requests)):
        (followup,) = records[call]
        assert sorted(followup.cause_ids) == sorted(requests)
        assert followup.reason == "call_ended"
        assert followup.call_ended_at is not None
        assert {json.dumps(f["result"]["status"]) for f in followup.facts} == {
            '"SHIPPED-0"',
            '"SHIPPED-1"',
        }
    assert records[texted][0].sms_skipped is None
    assert records[silent][0].sms_skipped == "no_consent"
    assert records[silent][0].sms is None

    (text,) = sms
    assert (text["from"], text["to"], text["idempotency_key"]) == (
        SENDER,
        consenting,
        records[texted][0].followup_id,
    )
    block = text["text"].split("<<<DATA\n", 1)[1].split("\nDATA>>>", 1)[0]
    assert "status: SHIPPED-0" in block
    assert "status: SHIPPED-1" in block

    # Both results of both calls dead-lettered call_ended (a tool *request* the hangup overtook
    # is dead-lettered too, without a status: not counted here).
    def ended_results() -> list[str]:
        letters = consume(pipeline.conn, [topics.dlq], expect=1000, timeout_s=3)
        return sorted(
            json.loads(r.value or b"{}")["request_id"]
            for r in letters
            if DeadLetter.from_headers(r.headers).reason == "call_ended"
            and json.loads(r.value or b"{}").get("status") == "ok"
        )

    expected = sorted(texted_requests + silent_requests)
    wait_until(lambda: ended_results() == expected, timeout_s=60, what="four call_ended results")

    def sms_outcomes() -> list[tuple[str, str]]:
        found = consume(pipeline.conn, [topics.deliveries], expect=1000, timeout_s=3)
        outcomes = [decode(Delivery, r.value) for r in found]
        return [(d.injection_id, d.outcome) for d in outcomes if d.outcome.startswith("sms")]

    sent = [(records[texted][0].followup_id, "sms_sent")]
    wait_until(lambda: sms_outcomes() == sent, timeout_s=60, what="the sms_sent delivery record")
