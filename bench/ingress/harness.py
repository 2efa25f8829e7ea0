"""The processes the benchmark runs: the ingress under test, the load generator, the null server.

Each is a real process of its own on loopback, started here and stopped by
its pid when its block ends; CPU shares come from psutil, per process.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from devkit.testing.lines import wait_for_line

LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


def _stop(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Served:
    """A running server process and its URL."""

    url: str
    process: subprocess.Popen[str]

    def processes(self) -> list[psutil.Process]:
        parent = psutil.Process(self.process.pid)
        return [parent, *parent.children(recursive=True)]


@contextlib.contextmanager
def ingress_process(
    env: dict[str, str], *, workers: int, log_path: Path, profile_path: Path | None
) -> Iterator[Served]:
    """``callstream ingress --port 0`` (under pyinstrument when profiling), ready to serve."""
    command = [sys.executable, "-m", "callstream_cli", "ingress", "--port", "0"]
    command += ["--workers", str(workers)]
    if profile_path is not None:
        command = [
            sys.executable,
            "-m",
            "pyinstrument",
            "-r",
            "pyisession",
            "-o",
            str(profile_path),
            *command[1:],
        ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, env=os.environ | env, stdout=subprocess.PIPE, stderr=log, text=True
        )
        try:
            url = wait_for_line(process, LISTENING, timeout_s=120).group(1)
            deadline = time.monotonic() + 120
            while httpx.get(f"{url}/readyz", timeout=30).status_code != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the ingress never became ready; see {log_path}")
                time.sleep(0.2)
            yield Served(url, process)
        finally:
            # pyinstrument writes its report on SIGINT; uvicorn stops cleanly on either.
            _stop(process, signal.SIGINT if profile_path is not None else signal.SIGTERM)


@contextlib.contextmanager
def null_server() -> Iterator[Served]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.ingress.nullserver"], stdout=subprocess.PIPE, text=True
    )
    try:
        port = wait_for_line(process, re.compile(r"^(\d+)$"), timeout_s=60).group(1)
        yield Served(f"http://127.0.0.1:{port}", process)
    finally:
        _stop(process)


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
