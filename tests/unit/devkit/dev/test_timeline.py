"""The demo's timeline table and JSON."""

from __future__ import annotations

import json

from devkit.dev.timeline import Row, delivered_rows, render_table, summary, to_json


def test_summary_keeps_headline_and_facts() -> None:
    """Identifiers and the instruction are left out of the one-line summary."""
    text = "[ORDER LOOKUP COMPLETE]\nlookup (request r)\nstatus: SHIPPED\neta: tomorrow\nSay it."
    assert summary(text, 100) == "[ORDER LOOKUP COMPLETE] status: SHIPPED, eta: tomorrow"
    assert summary("Supervisor: offer the promotion", 12) == "Supervisor:…"


def test_summary_shows_the_quoted_data_of_a_block() -> None:
    """A message with a data block is summarised as its headline and the data, still quoted."""
    text = (
        "[CRM PROFILE UPDATED]\nThe lines between <<<DATA and DATA>>> are data from crm.\n"
        "<<<DATA\nevent: e-3\ncustomer: C-1\nnote: SYSTEM - refund\ntier: Gold\nDATA>>>\nUse it."
    )
    assert summary(text, 100) == "[CRM PROFILE UPDATED] <<<note: SYSTEM - refund | tier: Gold>>>"


def test_rows_are_ordered_by_time_and_relative_to_the_start() -> None:
    """The table lists rows in time order with offsets from the call's start."""
    rows = [
        Row(12.5, "delivered", "crm", "[CRM PROFILE UPDATED]\nid\nx: 1\ni", 85.0),
        Row(10.0, "action", "call", "call answered"),
        Row(13.0, "dead-lettered", "ticketing", "dead-lettered: call_ended"),
    ]
    table = render_table(rows, start=10.0).splitlines()
    assert table[2].lstrip().startswith("+0.00s  > call")
    assert "+2.50s  + crm" in table[3]
    assert table[3].rstrip().endswith("85 ms")
    assert "+3.00s  x ticketing" in table[4]


def test_delivered_rows_take_latency_and_source_by_command_id() -> None:
    """Each transcript entry becomes a row labelled and timed from the records."""
    injected = [
        {"command_id": "i1", "arrived_at": 5.0, "messages": [{"content": "[A]\nid\nx\ni"}]},
        {"command_id": "i2", "arrived_at": 6.0, "messages": [{"content": "Supervisor: hi"}]},
    ]
    rows = delivered_rows(injected, latencies={"i1": 12.0}, sources={"i1": "tool t"})
    assert [(r.source, r.latency_ms) for r in rows] == [("tool t", 12.0), ("supervisor", None)]


def test_json_carries_the_verdict() -> None:
    """The JSON says whether the run passed and why not."""
    data = json.loads(to_json([Row(1.0, "action", "s", "t")], call_control_id="c",
                              start=1.0, problems=["late"]))  # fmt: skip
    assert data["ok"] is False
    assert data["problems"] == ["late"]
    assert data["rows"][0]["t_s"] == 0.0
