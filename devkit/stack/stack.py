"""``Stack``: services as processes, started, watched, signalled, restarted and measured by name.

Each process leads a session of its own, so the terminal's Ctrl-C reaches
only the launcher, and a signal to its process group reaches it and its
children (uvicorn workers) and nothing of ours. The stack signals only
processes it started, by pid, and stops every one of them when it is left:
SIGTERM newest first, a grace period, SIGKILL for stragglers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx
import psutil

from devkit.errors import DevStackError
from devkit.stack.metrics import sum_samples
from devkit.stack.ports import accepts
from devkit.stack.running import Running, Service

Progress = Callable[[str], None]
READY_TIMEOUT_S = 120.0


def _quiet(_: str) -> None:
    return None


class Stack:
    """The processes of one run; a context manager that always cleans up."""

    def __init__(self, log_dir: Path, progress: Progress = _quiet) -> None:
        self.log_dir = log_dir
        self._progress = progress
        self._latest: dict[str, Running] = {}
        self._started: list[Running] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()

    # -- what runs --------------------------------------------------------------------
    @property
    def running(self) -> list[Running]:
        """The latest process of every service, in start order."""
        return list(self._latest.values())

    def __getitem__(self, name: str) -> Running:
        return self._latest[name]

    def matching(self, which: str) -> list[Running]:
        """Every service of kind ``which`` (``streams``: the first worker and any added
        ones), or else the one named ``which`` (``streams-2``)."""
        return [r for r in self._latest.values() if which in (r.service.group, r.service.name)]

    def exited(self) -> list[Running]:
        """Services whose latest process has exited (none should, unless a signal ended it)."""
        return [r for r in self._latest.values() if not r.alive]

    def pids(self) -> dict[str, list[int]]:
        """Process ids of the running services, by kind."""
        found: dict[str, list[int]] = {}
        for running in self._latest.values():
            if running.alive:
                found.setdefault(running.service.group, []).append(running.pid)
        return found

    # -- starting and stopping ---------------------------------------------------------------
    def start(
        self, service: Service, *, wait: bool = True, timeout_s: float = READY_TIMEOUT_S
    ) -> Running:
        """Start ``service`` (its output appended to ``<log_dir>/<name>.log``); by default
        return once it is ready."""
        previous = self._latest.get(service.name)
        if previous is not None and previous.alive:
            raise DevStackError(f"{service.name} is already running (pid {previous.pid})")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{service.name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                list(service.argv),
                env=dict(service.env),
                cwd=service.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        running = Running(service, process, log_path)
        self._latest[service.name] = running
        self._started.append(running)
        if wait:
            self.wait_ready(service.name, timeout_s)
        return running

    def wait_ready(self, name: str, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Return once ``name`` is ready; ``DevStackError`` if it exits or stalls first."""
        running = self._latest[name]
        service = running.service
        deadline = time.monotonic() + timeout_s
        with httpx.Client(timeout=2.0) as client:
            while True:
                code = running.process.poll()
                if code is not None:
                    raise DevStackError(
                        f"{name} exited with status {code} while starting; "
                        f"end of {running.log_path}:\n{running.log_tail()}"
                    )
                if _is_ready(service, client):
                    return
                if time.monotonic() >= deadline:
                    raise DevStackError(
                        f"{name} was not ready on port {service.port} within {timeout_s:.0f} s; "
                        f"end of {running.log_path}:\n{running.log_tail()}"
                    )
                time.sleep(0.2)  # polling a readiness endpoint, not synchronisation

    def wait_all_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        for name in self._latest:
            self.wait_ready(name, timeout_s)

    def kill(self, name: str) -> None:
        """SIGKILL ``name`` (no shutdown of any kind) and wait until it is gone."""
        running = self._latest[name]
        _signal(running, signal.SIGKILL)
        running.process.wait(timeout=30)
        self._progress(f"killed {name} (pid {running.pid}) with SIGKILL")

    def terminate(self, name: str, timeout_s: float = 60.0) -> int:
        """Ask ``name`` to stop (SIGTERM) and wait; its exit status. ``DevStackError`` (after a
        SIGKILL) if it ignores that for ``timeout_s``."""
        running = self._latest[name]
        _signal(running, running.service.stop_signal)
        try:
            code = running.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _signal(running, signal.SIGKILL)
            running.process.wait(timeout=30)
            raise DevStackError(f"{name} ignored SIGTERM for {timeout_s:.0f} s") from None
        self._progress(f"stopped {name} (pid {running.pid}): exit {code}")
        return code

    def restart(self, name: str, timeout_s: float = READY_TIMEOUT_S) -> Running:
        """Start ``name`` again, same command line, environment and port; wait until ready."""
        previous = self._latest[name]
        if previous.alive:
            raise DevStackError(f"{name} is still running (pid {previous.pid})")
        running = self.start(previous.service, wait=False)
        self._progress(f"started {name} again (pid {running.pid})")
        self.wait_ready(name, timeout_s)
        return running

    def forget(self, name: str) -> None:
        """Stop watching ``name``, which has exited (an added worker taken away for good)."""
        if self._latest[name].alive:
            raise DevStackError(f"{name} is still running")
        del self._latest[name]

    def stop_all(self, grace_s: float = 15.0) -> None:
        """Stop every process started here, newest first: SIGTERM, SIGKILL after ``grace_s``."""
        for running in reversed(self._started):
            if running.alive:
                self._progress(f"stopping {running.service.name} (pid {running.pid})")
                _signal(running, running.service.stop_signal)
        deadline = time.monotonic() + grace_s
        for running in reversed(self._started):
            try:
                running.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._progress(f"{running.service.name} ignored SIGTERM; killing it")
                _signal(running, signal.SIGKILL)
                running.process.wait(timeout=10)
        self._started.clear()
        self._latest.clear()

    def ready(self, *which: str) -> bool:
        """Whether every service ``matching`` each of ``which`` answers its readiness probe."""
        with httpx.Client(timeout=5.0) as client:
            return all(
                _is_ready(running.service, client)
                for kind in which
                for running in self.matching(kind)
            )

    # -- measuring -----------------------------------------------------------------------
    def rss_bytes(self, name: str) -> int:
        """Resident memory of ``name``'s process and its children."""
        return sum(p.memory_info().rss for p in _family(self._latest[name]))

    def cpu_seconds(self, name: str) -> float:
        """CPU time (user + system) ``name``'s process and its children have used so far."""
        total = 0.0
        for process in _family(self._latest[name]):
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def metric(self, which: str, metric: str, **labels: str) -> float:
        """The sum of ``metric``'s samples with ``labels`` over the services ``matching``
        ``which`` (a service that does not answer counts 0)."""
        total = 0.0
        with httpx.Client(timeout=10) as client:
            for running in self.matching(which):
                with contextlib.suppress(httpx.HTTPError):
                    page = client.get(running.service.url("/metrics")).text
                    total += sum_samples(page, metric, labels)
        return total


def _is_ready(service: Service, client: httpx.Client) -> bool:
    if service.ready_path is not None:
        with contextlib.suppress(httpx.HTTPError):
            return client.get(service.url(service.ready_path)).status_code == 200
        return False
    return service.port is None or accepts(service.port)


def _family(running: Running) -> list[psutil.Process]:
    parent = psutil.Process(running.pid)
    return [parent, *parent.children(recursive=True)]


def _signal(running: Running, sig: signal.Signals) -> None:
    # The child leads its own session: its process group is it and its children only.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(running.pid, sig)
