"""The one launcher starts real processes on the ports it chose, signals, restarts and measures
them, and stops them all."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psutil
import pytest

from devkit.errors import DevStackError
from devkit.stack import Service, Stack, services


def _backends(port: int | None = None) -> Service:
    return services.backends({"PATH": "/usr/bin:/bin"}, port=port)


def test_starts_on_its_port_waits_ready_and_stops(tmp_path: Path) -> None:
    """A real HTTP service becomes ready on the port passed to it; leaving the stack stops it."""
    with Stack(tmp_path) as stack:
        running = stack.start(_backends())
        assert running.service.port is not None
        assert f"--port {running.service.port}" in " ".join(running.service.argv)
        assert psutil.pid_exists(running.pid)
        assert stack.exited() == []
        assert stack.pids() == {"backends": [running.pid]}
        assert stack.rss_bytes("backends") > 10 * 2**20
        assert stack.cpu_seconds("backends") > 0
    assert running.process.returncode is not None, "the child was stopped and reaped"


def test_kill_and_restart_on_the_same_port(tmp_path: Path) -> None:
    """SIGKILL ends it at once; a restart runs the same command on the same port."""
    with Stack(tmp_path) as stack:
        first = stack.start(_backends())
        port = first.service.port
        stack.kill("backends")
        assert first.process.returncode == -9
        assert [r.service.name for r in stack.exited()] == ["backends"]
        second = stack.restart("backends")
        assert second.pid != first.pid
        assert second.service.port == port
        assert stack.exited() == []
        assert stack.terminate("backends") == second.process.returncode
        assert not second.alive


def test_a_service_that_dies_is_reported_with_its_log(tmp_path: Path) -> None:
    """A crashing service fails fast, quoting the end of its log."""
    broken = Service(
        "broken",
        [sys.executable, "-c", "import sys; print('bad config: x'); sys.exit(3)"],
        port=9,
    )
    with Stack(tmp_path) as stack, pytest.raises(DevStackError, match=r"status 3(.|\n)*bad config"):
        stack.start(broken, timeout_s=30)


def test_sigterm_ignorers_are_killed(tmp_path: Path) -> None:
    """A child that ignores SIGTERM is killed after the grace period."""
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ignoring SIGTERM', flush=True); time.sleep(600)"
    )
    with Stack(tmp_path) as stack:
        running = stack.start(Service("stubborn", [sys.executable, "-c", code], ready_path=None))
        deadline = time.monotonic() + 30
        while "ignoring SIGTERM" not in running.log_tail() and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting for the child to install its handler (a condition)
        assert "ignoring SIGTERM" in running.log_tail()
        stack.stop_all(grace_s=1.0)
    assert running.process.returncode == -9
