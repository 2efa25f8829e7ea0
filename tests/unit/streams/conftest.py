"""Shared builders for the streams unit tests: rules from YAML, inputs, output summaries."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from callstream.config import AppConfig, parse_config
from callstream.records import Record, encode
from streams.decide.inputs import Input, decode_input
from streams.decide.outputs import (
    DeadLetterOut,
    Dropped,
    ForwardToCall,
    ForwardToKey,
    IndexUpdate,
    Inject,
    Output,
    Refused,
    RunTool,
)
from streams.decide.rules import Rules
from streams.state.held import InputKind, Origin

CONFIG = """
streams:
  grace_period_s: 30
  ended_call_retention_s: 3600
  dedupe_ttl_s: 86400
  max_call_idle_s: 14400
tools:
  lookup_order_status:
    message:
      headline: ORDER LOOKUP COMPLETE
      instruction: Share these details with the customer now.
      trigger_response: true
  check_loyalty_points:
    backend: {url: "http://loyalty.internal/points", timeout_s: 2, max_attempts: 2}
    pending_timeout_s: 60
sources:
  crm:
    topic: crm.events
    events:
      profile.updated: {headline: CRM PROFILE UPDATED, trigger_response: false}
      order.updated: {headline: ORDER UPDATE}
  fraud:
    topic: fraud.alerts
    events:
      fraud.alert: {headline: FRAUD ALERT, trigger_response: true, priority: urgent}
  ticketing:
    topic: ticketing.events
    events:
      ticket.updated: {headline: SUPPORT TICKET UPDATED}
"""

KINDS: dict[str, InputKind] = {
    "CallEvent": "call_event",
    "ToolCall": "tool_call",
    "ToolResult": "tool_result",
    "SupervisorMessage": "supervisor",
}


def app_config(text: str = CONFIG) -> AppConfig:
    return parse_config(text, origin="test config")


@pytest.fixture
def rules() -> Rules:
    """Rules for two tools (one with a backend) and two sources."""
    return Rules.from_config(app_config())


_offsets = iter(range(10**9))


def make_input(
    record: Record | bytes,
    rules: Rules,
    *,
    source: str | None = None,
    call: str | None = None,
    timestamp: float = 1.0,
) -> Input:
    """``record`` as the join sees it after decoding (a source event needs ``source``)."""
    offset = next(_offsets)
    if isinstance(record, bytes):
        origin = Origin(rules.sources[source or ""].topic, 0, offset, timestamp, source)
        return decode_input("source", record, origin, rules.sources, call_control_id=call)
    kind = KINDS[type(record).__name__]
    origin = Origin(f"callstream.{kind}", 0, offset, timestamp)
    return decode_input(kind, encode(record), origin, rules.sources)


def summary(output: Output) -> str:
    """A short, comparable description of one output."""
    text = ""
    match output:
        case Inject(injection=injection):
            text = f"inject:{injection.source}:{injection.cause_id}"
        case DeadLetterOut():
            text = f"dlq:{output.reason}"
        case IndexUpdate():
            text = f"index:{output.op}:{output.key}"
        case ForwardToCall():
            text = f"to-call:{output.call_control_id}"
        case ForwardToKey():
            text = f"to-key:{output.route.key}:{output.route.phase}"
        case RunTool():
            text = f"run:{output.request_id}"
        case Dropped():
            text = f"drop:{output.reason}"
        case Refused():
            text = f"refused:{output.source}:{output.kind}"
    return text


def summaries(outputs: Iterable[Output]) -> list[str]:
    return [summary(output) for output in outputs]
