"""The reference scenario end to end: real processes, broker, HTTP and signed webhooks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from devkit.dev import scenario
from devkit.dev.demo import report
from devkit.dev.pipeline import LocalPipeline
from devkit.dev.player import ScenarioPlayer
from devkit.emulator import EmulatorControl
from devkit.testing.broker import BrokerHandle


def test_every_message_reaches_the_call_once_in_order(
    pipeline: LocalPipeline, tmp_path: Path
) -> None:
    """Both tool results, the CRM updates (coalesced into one), the fraud alert and the note
    arrive once, in order."""
    target = pipeline.target
    outcome = ScenarioPlayer(target, timeout_s=90).play()

    assert outcome.problems == []
    delivered = [row for row in outcome.rows if row.kind == "delivered"]
    assert [row.text.split("\n", 1)[0] for row in delivered] == [
        "[LOYALTY POINTS]",
        "[ORDER LOOKUP COMPLETE]",
        "[CRM PROFILE UPDATED]",
        "[FRAUD ALERT]",
        scenario.SUPERVISOR_NOTE,
    ]
    assert [row.source for row in delivered] == [
        "tool check_loyalty_points", "tool lookup_order_status", "crm (3 coalesced)", "fraud",
        "supervisor",
    ]  # fmt: skip
    assert "ORD-12345" in delivered[1].text
    assert f"\n{scenario.QUOTED_NOTE}\n" in delivered[2].text  # the newest facts, quoted
    [note] = [line for line in outcome.guardrails if line.startswith("crm ")]
    assert "coalesced" in note
    assert "(replaced crm-" in note
    assert all(row.latency_ms is not None and row.latency_ms >= 0 for row in delivered)
    [dead] = [row for row in outcome.rows if row.kind == "dead-lettered"]
    assert dead.text == "dead-lettered: call_ended"

    with EmulatorControl(target.emulator_url) as control:
        transcript = control.transcript(outcome.call_control_id)
    assert transcript["status"] == "ended"
    assert all(entry["requests"] == 1 for entry in transcript["injected"])
    applied_after_hangup = [
        r for r in transcript["requests"] if r["applied"] and r["at"] > transcript["ended_at"]
    ]
    assert applied_after_hangup == []

    out = tmp_path / "timeline.json"
    lines: list[str] = []
    assert report(outcome, out, lambda text="", **_: lines.append(text))
    saved = json.loads(out.read_text())
    assert saved["ok"] is True
    assert len(saved["rows"]) == len(outcome.rows)


def test_callstream_demo_command_exits_0(kafka_broker: BrokerHandle, tmp_path: Path) -> None:
    """``callstream demo`` (what ``make demo`` runs) starts its own pipeline and passes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELNYX_", "CALLSTREAM_"))} | {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap,
        "CALLSTREAM_TOPIC_PREFIX": f"demo{os.getpid()}.",
    }
    timeline = tmp_path / "timeline.json"
    done = subprocess.run(
        [sys.executable, "-m", "callstream_cli", "demo", "--json", str(timeline)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "OK: every expected message reached the call once, in order" in done.stdout
    assert "[ORDER LOOKUP COMPLETE]" in done.stdout
    assert json.loads(timeline.read_text())["ok"] is True
