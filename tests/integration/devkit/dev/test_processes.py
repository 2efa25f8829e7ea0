"""The dev supervisor starts real processes, waits on readiness, and stops them all."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psutil
import pytest

from devkit.dev.processes import ProcessGroup, ServiceSpec
from devkit.errors import DevStackError
from devkit.localkafka.broker import free_port


def test_starts_waits_ready_and_stops(tmp_path: Path) -> None:
    """A real HTTP service becomes ready; leaving the group stops it."""
    port = free_port()
    spec = ServiceSpec(
        name="backends",
        argv=[sys.executable, "-m", "devkit.dev.backends", "--port", str(port)],
        env={"PATH": "/usr/bin:/bin"},
        ready_url=f"http://127.0.0.1:{port}/readyz",
    )
    with ProcessGroup(tmp_path) as group:
        running = group.start(spec)
        group.wait_ready(running, timeout_s=60)
        pid = running.process.pid
        assert psutil.pid_exists(pid)
        assert group.exited() == []
    assert running.process.returncode is not None, "the child was stopped and reaped"


def test_a_service_that_dies_is_reported_with_its_log(tmp_path: Path) -> None:
    """A crashing service fails fast, quoting the end of its log."""
    spec = ServiceSpec(
        name="broken",
        argv=[sys.executable, "-c", "import sys; print('bad config: x'); sys.exit(3)"],
        env={},
        ready_url="http://127.0.0.1:9/readyz",
    )
    with ProcessGroup(tmp_path) as group:
        running = group.start(spec)
        with pytest.raises(DevStackError, match=r"status 3(.|\n)*bad config: x"):
            group.wait_ready(running, timeout_s=30)


def test_sigterm_ignorers_are_killed(tmp_path: Path) -> None:
    """A child that ignores SIGTERM is killed after the grace period."""
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ignoring SIGTERM', flush=True); time.sleep(600)"
    )
    with ProcessGroup(tmp_path) as group:
        running = group.start(ServiceSpec(name="stubborn", argv=[sys.executable, "-c", code]))
        deadline = time.monotonic() + 30
        while "ignoring SIGTERM" not in running.log_tail() and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting for the child to install its handler (a condition)
        assert "ignoring SIGTERM" in running.log_tail()
        group.stop_all(grace_s=1.0)
    assert running.process.returncode == -9
