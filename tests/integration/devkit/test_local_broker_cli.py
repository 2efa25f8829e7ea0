"""``callstream kafka start|status|stop`` as real processes, twice on one data dir; services
find the running broker through its record, and not once it has stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil

from devkit.errors import PrerequisiteMissing
from devkit.localkafka import find_java
from devkit.testing.skips import missing_prerequisite


def _kafka(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _callstream(env, "kafka", *args)


def _callstream(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callstream_cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_start_status_stop_then_restart_reuses_jars_and_data(tmp_path: Path) -> None:
    """A second start after stop is offline (no Maven) and keeps the same cluster storage."""
    try:
        find_java(Path(os.environ["JAVA_HOME"]) if os.environ.get("JAVA_HOME") else None)
    except PrerequisiteMissing as exc:
        missing_prerequisite(str(exc))
    data_dir = tmp_path / "broker"
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env["CALLSTREAM_KAFKA_DIR"] = str(data_dir)

    started = _kafka(env, "start", "--port", "0")
    assert started.returncode == 0, started.stderr
    try:
        status = _kafka(env, "status", "--json")
        assert status.returncode == 0, status.stdout
        state = json.loads(status.stdout)
        assert state["running"] is True
        assert state["bootstrap"].startswith("127.0.0.1:")
        pid = state["pid"]
        assert "kafka.Kafka" in psutil.Process(pid).cmdline()
        found = _callstream(env, "topics", "create", "--partitions", "1")
        assert found.returncode == 0, found.stderr
        assert f"on local broker {state['bootstrap']}" in found.stdout, "found through its record"
        meta = (data_dir / "kafka-data" / "meta.properties").read_text()
    finally:
        stopped = _kafka(env, "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert f"pid {pid}" in stopped.stdout
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert _kafka(env, "status").returncode == 3
    gone = _callstream(env, "topics", "create")
    assert gone.returncode == 2, "a stopped broker is not found"
    assert "no local Kafka broker is running" in gone.stderr

    again = _kafka(env, "start", "--port", "0")
    try:
        assert again.returncode == 0, again.stderr
        assert "Fetching" not in again.stderr, "the cached jars are reused: Maven does not run"
        assert "Formatting" not in again.stderr, "the existing storage is reused"
        assert (data_dir / "kafka-data" / "meta.properties").read_text() == meta
    finally:
        assert _kafka(env, "stop").returncode == 0
    assert _kafka(env, "stop").stdout.startswith("No local Kafka broker is running")
