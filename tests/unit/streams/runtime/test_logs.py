"""The streams worker's log lines carry the ids of what they are about."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from callstream.config import BackendSpec, ToolSpec
from callstream.records import ToolCall, ToolResult, encode
from callstream.topics import Topics
from streams import testing as build
from streams.batch import RawRecord
from streams.decide.outputs import DeadLetterOut, Inject
from streams.decide.rules import Rules
from streams.metrics import StreamsMetrics
from streams.runtime.accounting import Accounting
from streams.runtime.toolruns import ToolRuns
from streams.state.held import Origin
from streams.wire import Wire, forward_headers
from tests.unit.injector.factories import make_injection

CALL = "v3:logged"


class AnsweringRunner:
    async def run(self, call: ToolCall, backend: Any) -> ToolResult:
        return build.tool_result(call.call_control_id, call.request_id, call.tool, {"ok": 1})


async def test_a_tool_run_is_logged_with_its_call_and_request() -> None:
    """The tool runner binds the call and request ids while it works on a request."""
    rules = Rules(tools={"lookup": ToolSpec(backend=BackendSpec(url="http://backend.test/"))})
    runs = ToolRuns(
        runner=AnsweringRunner(),  # type: ignore[arg-type]
        rules=rules,
        results_topic="t.tool-results",
        wire=Wire(Topics(prefix="t."), 4),
        producer=None,  # type: ignore[arg-type]
        metrics=StreamsMetrics(CollectorRegistry()),
        concurrency=1,
        grace_s=1.0,
    )
    request = encode(build.tool_call(CALL, "r-1", "lookup"))
    headers = tuple(forward_headers("tool_call", Origin("t.tool-calls", 0, 3, 0.0), call=CALL))
    record = RawRecord("t.streams.tool-runs", 0, 7, 0.0, CALL.encode(), request, headers)
    with capture_logs(processors=[merge_contextvars]) as logs:
        await runs.handle(record)
    [line] = [entry for entry in logs if entry["event"] == "tool_ran"]
    assert line["call_control_id"] == CALL
    assert line["request_id"] == "r-1"


def test_a_dead_letter_is_logged_with_its_call_and_reason() -> None:
    """One warning per dead letter, naming the call, the reason and the original record."""
    accounting = Accounting(StreamsMetrics(CollectorRegistry()))
    origin = Origin("t.supervisor", 2, 41, 0.0)
    dead = DeadLetterOut(b"{}", origin, "call_ended", "the call has ended", call_control_id=CALL)
    with capture_logs() as logs:
        accounting.outputs([dead], acked=1.0)
    [line] = logs
    assert line["event"] == "dead_lettered"
    assert (line["call_control_id"], line["reason"]) == (CALL, "call_ended")
    assert (line["topic"], line["partition"], line["offset"]) == ("t.supervisor", 2, 41)


def test_guardrail_decisions_are_counted_by_source_and_kind_and_logged_once() -> None:
    """A coalesced, held injection: one info line with its ids and decisions; the counter
    counts each decision, a coalescing once per cause it replaced."""
    registry = CollectorRegistry()
    accounting = Accounting(StreamsMetrics(registry))
    injection = make_injection(
        CALL,
        "CRM-9",
        source="crm",
        guardrails=["quoted", "coalesce_delay", "coalesced"],
        coalesced=["CRM-7", "CRM-8"],
    )
    plain = make_injection(CALL, "CRM-10", source="crm", guardrails=["quoted"])
    origin = Origin("crm.events", 0, 1, 0.0, "crm")
    with capture_logs() as logs:
        accounting.outputs([Inject(injection, origin), Inject(plain, origin)], acked=1.0)
    lines = [entry for entry in logs if entry["event"] == "guardrails_applied"]
    assert lines == [
        {
            "event": "guardrails_applied",
            "log_level": "info",
            "call_control_id": CALL,
            "injection_id": injection.injection_id,
            "source": "crm",
            "cause_id": "CRM-9",
            "decisions": ["quoted", "coalesce_delay", "coalesced"],
            "coalesced": ["CRM-7", "CRM-8"],
        }
    ]

    def count(kind: str) -> float | None:
        name = "callstream_streams_guardrails_total"
        return registry.get_sample_value(name, {"source": "crm", "kind": kind})

    assert (count("quoted"), count("coalesce_delay"), count("coalesced")) == (2, 1, 2)
