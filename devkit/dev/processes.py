"""A small supervisor for ``callstream dev``: start services, wait until ready, stop them all.

Each service runs as a child process in a session of its own, so the
terminal's Ctrl-C reaches only the supervisor, which then stops the children
in reverse start order: SIGTERM, a grace period, SIGKILL for stragglers. A
service's output goes to its own log file; when one fails to start, the error
quotes the end of that file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from devkit.errors import DevStackError

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class ServiceSpec:
    """How to run one service and how to tell that it is ready."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    ready_url: str | None = None
    """GET answering 200 means ready; None means ready once started."""


@dataclass
class Running:
    """A started service."""

    spec: ServiceSpec
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


class ProcessGroup:
    """The services of one ``callstream dev`` run; a context manager that always cleans up."""

    def __init__(self, log_dir: Path, progress: Progress = _quiet) -> None:
        self.log_dir = log_dir
        self._progress = progress
        self.running: list[Running] = []

    def __enter__(self) -> ProcessGroup:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()

    def start(self, spec: ServiceSpec) -> Running:
        """Start ``spec`` with its output in ``<log_dir>/<name>.log``."""
        log_path = self.log_dir / f"{spec.name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                list(spec.argv),
                env=dict(spec.env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        running = Running(spec, process, log_path)
        self.running.append(running)
        return running

    def wait_ready(self, running: Running, timeout_s: float = 60.0) -> None:
        """Return once ``running`` is ready; ``DevStackError`` if it dies or stalls first."""
        deadline = time.monotonic() + timeout_s
        with httpx.Client(timeout=2.0) as client:
            while True:
                code = running.process.poll()
                if code is not None:
                    raise DevStackError(
                        f"{running.spec.name} exited with status {code} while starting; "
                        f"end of {running.log_path}:\n{running.log_tail()}"
                    )
                if running.spec.ready_url is None:
                    return
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(running.spec.ready_url).status_code == 200:
                        return
                if time.monotonic() >= deadline:
                    raise DevStackError(
                        f"{running.spec.name} was not ready at {running.spec.ready_url} within "
                        f"{timeout_s:.0f} s; end of {running.log_path}:\n{running.log_tail()}"
                    )
                time.sleep(0.2)  # polling a readiness endpoint, not synchronisation

    def exited(self) -> list[Running]:
        """Services that have stopped on their own."""
        return [r for r in self.running if r.process.poll() is not None]

    def stop_all(self, grace_s: float = 15.0) -> None:
        """Stop every service, newest first: SIGTERM, then SIGKILL after ``grace_s``."""
        for running in reversed(self.running):
            if running.process.poll() is None:
                self._progress(f"stopping {running.spec.name} (pid {running.process.pid})")
                _signal_group(running.process, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for running in reversed(self.running):
            remaining = max(0.1, deadline - time.monotonic())
            try:
                running.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                self._progress(f"{running.spec.name} ignored SIGTERM; killing it")
                _signal_group(running.process, signal.SIGKILL)
                running.process.wait(timeout=10)
        self.running.clear()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # The child leads its own session, so its process group holds exactly it
    # and whatever it spawned (uvicorn workers), and nothing of ours.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
