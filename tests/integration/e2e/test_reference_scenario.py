"""The reference scenario end to end: real processes, broker, HTTP and signed webhooks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil
from confluent_kafka.admin import AdminClient

from callstream.kafka import KafkaConnection, admin_config
from callstream.paths import default_cache_dir
from devkit.dev import scenario
from devkit.dev.config import without_developer_settings
from devkit.dev.demo import report
from devkit.dev.pipeline import LocalPipeline
from devkit.dev.player import ScenarioPlayer
from devkit.emulator import EmulatorControl
from devkit.testing.broker import BrokerHandle
from devkit.testing.skips import missing_prerequisite


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
    # The warranty lookup answered after the hangup: one follow-up, one SMS with its facts.
    followup, sms = [row for row in outcome.rows if row.kind == "followed-up"]
    assert followup.text == "record for check_warranty: the call never heard it"
    assert sms.source == f"SMS to {scenario.REFERENCE.caller}"
    block = sms.text.split("<<<DATA\n", 1)[1].split("\nDATA>>>", 1)[0]
    assert "serial: SN-ORD-12345" in block

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


def _demo(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``callstream demo`` as a process, with its own TMPDIR and an empty HOME; Kafka only as
    ``env`` names it."""
    (tmp_path / "tmp").mkdir()
    (tmp_path / "home").mkdir()
    full = without_developer_settings(os.environ) | {
        "HOME": str(tmp_path / "home"),
        "TMPDIR": str(tmp_path / "tmp"),
        # The jars as the session fetched them (an empty HOME has no cache).
        "CALLSTREAM_CACHE_DIR": os.environ.get("CALLSTREAM_CACHE_DIR") or str(default_cache_dir()),
    }
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "CALLSTREAM_TOPIC_PREFIX", "CALLSTREAM_KAFKA_DIR"):
        full.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "callstream_cli", "demo", "--json", str(tmp_path / "timeline.json")],
        env=full | env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _left_behind(tmp_path: Path) -> list[str]:
    """Files in the demo's TMPDIR and HOME, and processes still carrying its TMPDIR."""
    files = [str(p) for p in (tmp_path / "tmp").rglob("*")]
    files += [str(p) for p in (tmp_path / "home").rglob("*")]
    ours = str(tmp_path / "tmp")
    processes = []
    for process in psutil.process_iter(["pid", "environ", "cmdline"]):
        environ = process.info["environ"] or {}
        if environ.get("TMPDIR") == ours:
            processes.append(f"{process.info['pid']}: {' '.join(process.info['cmdline'] or [])}")
    return files + processes


def _passed(done: subprocess.CompletedProcess[str], tmp_path: Path) -> None:
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "OK: every expected message reached the call once, in order" in done.stdout
    assert "[ORDER LOOKUP COMPLETE]" in done.stdout
    assert json.loads((tmp_path / "timeline.json").read_text())["ok"] is True


def test_callstream_demo_on_a_named_cluster_leaves_no_topic_behind(
    kafka_broker: BrokerHandle, kafka_conn: KafkaConnection, tmp_path: Path
) -> None:
    """``callstream demo`` with KAFKA_BOOTSTRAP_SERVERS passes on that cluster, under topics of
    its own that it deletes: no new topic, file or process after it exits."""
    topics_before = _topic_names(kafka_conn)
    done = _demo({"KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap}, tmp_path)
    _passed(done, tmp_path)
    assert _topic_names(kafka_conn) - topics_before == set()
    assert _left_behind(tmp_path) == []


def test_callstream_demo_runs_its_own_broker_and_leaves_nothing_behind(
    kafka_broker: BrokerHandle, tmp_path: Path
) -> None:
    """``callstream demo`` (what ``make demo`` runs), with no cluster named, starts a broker of its
    own on a free port in its temporary state dir: no file or process after it exits, nothing
    in the user's state dir, and a local broker the user runs is neither used nor touched."""
    if kafka_broker.kind != "local":
        missing_prerequisite(f"the demo's own broker needs the local broker's jars and Java; "
                             f"the session's broker is {kafka_broker.description}")  # fmt: skip
    done = _demo({}, tmp_path)
    _passed(done, tmp_path)
    assert _left_behind(tmp_path) == []


def _topic_names(conn: KafkaConnection) -> set[str]:
    admin = AdminClient(admin_config(conn, "test-demo-topics"))
    return set(admin.list_topics(timeout=10).topics)
