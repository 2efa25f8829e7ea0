"""Follow-ups through a real worker: what the injector reported undelivered and a result that
came after the hangup, gathered into one record, once, however often the report is repeated."""

from __future__ import annotations

from callstream.records import Followup, Injection, Message, decode, encode
from callstream.records.followups import undelivered_headers
from devkit.testing.kafka import consume, produce
from streams import testing as build
from tests.integration.streams.conftest import StreamsEnv, wait_for

CALL = "v3:followup-call"


def test_undelivered_injections_and_late_results_become_one_followup(
    streams_env: StreamsEnv,
) -> None:
    """The injector's call_ended report (twice) and a late tool result: one record, both causes."""
    t = streams_env.topics
    worker = streams_env.worker("w1")
    worker.wait_ready()
    streams_env.send(
        t.call_events,
        build.call_event(CALL, "call.initiated", from_="+15551230000", to="+15559870000"),
        build.call_event(CALL, "call.answered", when=build.at(1)),
    )
    streams_env.send(
        t.tool_calls,
        build.tool_call(CALL, "r-late", "lookup_order_status", build.at(2), order_id="ORD-7"),
    )
    wait_for(
        lambda: worker.metric("callstream_streams_records_in_total", topic="tool-calls") >= 1,
        60,
        lambda: f"the worker did not consume the tool call:\n{worker.logs()}",
    )
    streams_env.send(t.call_events, build.call_event(CALL, "call.hangup", when=build.at(3)))
    unheard = Injection(
        injection_id="inj-r-sent",
        call_control_id=CALL,
        messages=[Message(role="system", content="[LOYALTY POINTS] 2500")],
        source="tool",
        cause_id="r-sent",
        created_at=build.at(2),
        expires_at=build.at(300),
        event_type="check_loyalty_points",
        facts={"tool": "check_loyalty_points", "result": {"points": 2500}},
    )
    report = (CALL.encode(), encode(unheard))
    headers = undelivered_headers("call_ended")
    produce(streams_env.conn, t.undelivered, [report, report], headers=list(headers))
    late = build.tool_result(CALL, "r-late", "lookup_order_status", {"status": "SHIPPED"})
    streams_env.send(t.tool_results, late)

    found = consume(streams_env.conn, [t.followups], expect=1, timeout_s=60, settle_s=3)
    [record] = [decode(Followup, r.value) for r in found]
    assert sorted(record.cause_ids) == ["r-late", "r-sent"]
    assert record.reason == "call_ended"
    assert record.caller == "+15551230000"
    late_facts = record.facts[record.cause_ids.index("r-late")]
    assert late_facts["arguments"] == {"order_id": "ORD-7"}
    assert worker.metric("callstream_streams_dropped_total", reason="duplicate") >= 1
