"""The processes the benchmark runs: the ingress under test, the load generator, the null server.

Each is a real process of its own on loopback; the servers run on devkit's
``Stack`` on ports it chose, and stop when their block ends; CPU shares come
from psutil, per process.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from devkit.stack import Service, Stack, free_port, services


@dataclass
class Served:
    """A running server process and its URL."""

    url: str
    pid: int

    def processes(self) -> list[psutil.Process]:
        parent = psutil.Process(self.pid)
        return [parent, *parent.children(recursive=True)]


@contextlib.contextmanager
def ingress_process(
    env: dict[str, str], *, workers: int, log_dir: Path, profile_path: Path | None
) -> Iterator[Served]:
    """``callstream ingress`` on a port of the launcher's (under pyinstrument when profiling),
    ready to serve; its output in ``<log_dir>/ingress-bench-server.log``."""
    wrap: list[str] = []
    if profile_path is not None:
        wrap = [sys.executable, "-m", "pyinstrument", "-r", "pyisession", "-o", str(profile_path)]
    service = services.ingress(
        os.environ | env, name="ingress-bench-server", workers=workers, wrap=wrap
    )
    with Stack(log_dir) as stack:
        running = stack.start(service)
        try:
            yield Served(service.url(), running.pid)
        finally:
            # pyinstrument writes its report on SIGINT; uvicorn stops cleanly on either.
            stack.terminate(service.name)


@contextlib.contextmanager
def null_server(log_dir: Path) -> Iterator[Served]:
    """The do-nothing server (``nullserver``) on a port of the launcher's."""
    port = free_port()
    argv = [sys.executable, "-m", "bench.ingress.nullserver", str(port)]
    with Stack(log_dir) as stack:
        running = stack.start(Service("nullserver", argv, os.environ, port, ready_path=None))
        yield Served(running.service.url(), running.pid)


def render_profile(session: Path, out: Path) -> None:
    """A call-tree text report (share of all samples) of a saved pyinstrument session."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pyinstrument",
            f"--load={session}",
            "-r",
            "text",
            "-p",
            "time=percent_of_total",
            "-p",
            "processor_options.filter_threshold=0.005",
            "--no-color",
            "-o",
            str(out),
        ],
        check=True,
        timeout=300,
    )


def load(
    url: str, *, mode: str, duration_s: float, connections: int, rate: float, token: str
) -> dict[str, object]:
    """Run the load generator in its own process; its JSON summary."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.ingress.loadgen",
            "--url",
            url,
            "--mode",
            mode,
            "--duration",
            str(duration_s),
            "--connections",
            str(connections),
            "--rate",
            str(rate),
            "--token",
            token,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration_s + 300,
    )
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def app_cost(log_level: str) -> float:
    """Microseconds the ASGI app spends per tool call in process (``bench.ingress.inprocess``)."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.ingress.inprocess", "--log-level", log_level],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return float(json.loads(result.stdout)["us_per_request"])


class CpuMeter:
    """CPU seconds used by some processes, and by the whole machine, over a phase."""

    def __init__(self, processes: dict[str, list[psutil.Process]]) -> None:
        self._processes = processes
        self._start = self._sample()

    def _sample(self) -> tuple[float, dict[str, float], float]:
        used = {}
        for name, group in self._processes.items():
            total = 0.0
            for process in group:
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    total += times.user + times.system
            used[name] = total
        machine = psutil.cpu_times()
        return time.perf_counter(), used, machine.user + machine.system + machine.nice

    def shares(self) -> dict[str, float]:
        """Cores used per process group (1.0 = one core busy), and by the machine."""
        then, used_then, machine_then = self._start
        now, used_now, machine_now = self._sample()
        wall = now - then
        shares = {name: round((used_now[name] - used_then[name]) / wall, 2) for name in used_now}
        shares["machine"] = round((machine_now - machine_then) / wall, 2)
        shares["machine_cores"] = psutil.cpu_count() or 0
        return shares
