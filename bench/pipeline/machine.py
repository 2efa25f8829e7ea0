"""The machine a run happened on, and the CPU its processes spent between two marks.

The benchmark shares its cores with whatever else runs, so each step records
what every group of our processes used, what the whole machine used, and so
what the neighbours took ("others", in cores). It never changes anything it
measures.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psutil


def describe() -> dict[str, Any]:
    """Host name, CPU, memory, OS and Python: what a reader needs to weigh the figures."""
    model = platform.processor() or ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "host": socket.gethostname(),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


@dataclass(frozen=True)
class CpuSnapshot:
    at: float
    groups: dict[str, float]
    machine_busy_s: float


class CpuLedger:
    """CPU seconds (user + system) of named groups of processes.

    A service's children (uvicorn workers) count as the service's; the groups in
    ``alone`` count only their own process (the harness, whose children are the
    generator and the floor, each accounted apart).
    """

    def __init__(
        self, groups: Mapping[str, Sequence[int]], *, alone: frozenset[str] = frozenset()
    ) -> None:
        self._alone = alone
        self._groups: dict[str, list[psutil.Process]] = {}
        for name, pids in groups.items():
            found = []
            for pid in pids:
                with contextlib.suppress(psutil.Error):
                    found.append(psutil.Process(pid))
            self._groups[name] = found

    def _group_cpu(self, name: str) -> float:
        total = 0.0
        for parent in self._groups[name]:
            with contextlib.suppress(psutil.Error):
                family = [parent]
                if name not in self._alone:
                    family += parent.children(recursive=True)
                for process in family:
                    with contextlib.suppress(psutil.Error):
                        times = process.cpu_times()
                        total += times.user + times.system
        return total

    def snapshot(self) -> CpuSnapshot:
        machine = psutil.cpu_times()
        idle = machine.idle + getattr(machine, "iowait", 0.0)
        return CpuSnapshot(
            at=time.monotonic(),
            groups={name: self._group_cpu(name) for name in self._groups},
            machine_busy_s=sum(machine) - idle,
        )


def spent(before: CpuSnapshot, after: CpuSnapshot, *, extra_s: float = 0.0) -> dict[str, float]:
    """CPU seconds per group between two snapshots, plus ``wall_s``, ``machine_s`` and
    ``others_s`` (the machine's busy time not spent by any group nor ``extra_s``)."""
    used = {
        name: round(after.groups[name] - before.groups.get(name, 0.0), 3) for name in after.groups
    }
    machine = after.machine_busy_s - before.machine_busy_s
    others = machine - sum(used.values()) - extra_s
    return used | {
        "wall_s": round(after.at - before.at, 3),
        "machine_s": round(machine, 3),
        "others_s": round(max(0.0, others), 3),
    }
