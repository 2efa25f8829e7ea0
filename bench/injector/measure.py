"""Shared measurements: CPU use of a process, per-call gaps at the emulator."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psutil


@dataclass
class CpuMeter:
    """CPU a process spends between ``start`` and ``stop`` (share of one core), and how busy
    the whole machine was meanwhile (share of all cores: near 1.0 means nothing was spare)."""

    pid: int
    machine_busy: float = float("nan")
    _cpu0: float = 0.0
    _wall0: float = 0.0
    _machine0: tuple[float, float] = (0.0, 0.0)

    def _cpu(self) -> float:
        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)

    @staticmethod
    def _machine() -> tuple[float, float]:
        times = psutil.cpu_times()
        idle = times.idle + getattr(times, "iowait", 0.0)
        return float(sum(times)), float(idle)

    def start(self) -> None:
        self._cpu0, self._wall0 = self._cpu(), time.monotonic()
        self._machine0 = self._machine()

    def stop(self) -> float:
        wall = time.monotonic() - self._wall0
        total, idle = self._machine()
        spent = total - self._machine0[0]
        if spent > 0:
            self.machine_busy = 1.0 - (idle - self._machine0[1]) / spent
        return (self._cpu() - self._cpu0) / wall if wall > 0 else float("nan")


def lane_gaps(transcripts: Sequence[dict[str, Any]]) -> list[float]:
    """Seconds between consecutive applied commands of each call (one sender per call).

    With one request in flight per call, the gap is what one delivery costs end to
    end at the remote: the round trip plus whatever the sender does between two.
    """
    gaps: list[float] = []
    for transcript in transcripts:
        times = [entry["arrived_at"] for entry in transcript["injected"]]
        gaps.extend(b - a for a, b in itertools.pairwise(times))
    return gaps
