"""The report: one row per scenario, as a Markdown table and as JSON, with the machine it ran on.

Pure rendering, plus ``machine()`` which reads what the host is (CPU, memory,
load) for the report's header. Recovery times are wall-clock on whatever
machine ran them: on a shared host they move with the neighbours.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import psutil

from devkit.chaos.scenarios.base import Result

COLUMNS = (
    "scenario",
    "load",
    "fault",
    "accepted",
    "delivered",
    "dead-lettered",
    "lost",
    "duplicated effects",
    "raw duplicate attempts",
    "recovery",
    "checks",
)


def machine() -> dict[str, Any]:
    """What ran the suite: CPU model and count, memory, load average, Python."""
    model = platform.processor() or ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model or "unknown",
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
        "system": f"{platform.system()} {platform.release()}",
    }


def _recovery(result: Result) -> str:
    seconds = result.verdict.recovery_s
    if seconds is None:
        return "did not recover" if result.recovery_timed else "n/a"
    return f"{seconds:.1f} s"


def _dead(result: Result) -> str:
    dead = result.verdict.dead_lettered
    if not dead:
        return "0"
    return ", ".join(f"{n} {reason}" for reason, n in sorted(dead.items()))


def _checks(result: Result) -> str:
    failed = [check.name for check in result.checks if not check.ok]
    failed += list(result.verdict.problems)
    return "pass" if not failed else "FAIL: " + "; ".join(failed)


def row(result: Result) -> list[str]:
    """The table cells of one result."""
    verdict = result.verdict
    return [
        result.name,
        result.load,
        result.fault,
        f"{verdict.accepted:,}",
        f"{verdict.delivered:,}",
        _dead(result),
        str(verdict.lost_count),
        str(verdict.duplicated_effects),
        str(verdict.absorbed),
        _recovery(result),
        _checks(result),
    ]


def markdown(results: Sequence[Result], header: Mapping[str, Any]) -> str:
    """The report as Markdown: a line about the run, then the table."""
    host = header["machine"]
    lines = [
        f"`make chaos`, {header['date']}: {host['cores']} cores ({host['cpu']}), "
        f"{host['memory_gb']} GB, load average at start {host['load_average']}, "
        f"{header['duration_s'] / 60:.1f} min in all.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "| " + " | ".join("---" for _ in COLUMNS) + " |",
    ]
    lines += ["| " + " | ".join(row(result)) + " |" for result in results]
    return "\n".join(lines) + "\n"


def _verdict(result: Result) -> dict[str, Any]:
    # Token lists can run to thousands; the first few are enough to go and look.
    found = asdict(result.verdict)
    found["lost"] = found["lost"][:20]
    found["duplicated"] = found["duplicated"][:20]
    return found


def as_json(results: Sequence[Result], header: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the run measured, for the results directory."""
    return {
        **header,
        "scenarios": [
            {
                "name": r.name,
                "load": r.load,
                "fault": r.fault,
                "passed": r.passed,
                "duration_s": round(r.duration_s, 1),
                "verdict": {
                    key: value
                    for key, value in asdict(r.verdict).items()
                    if key not in {"lost", "duplicated"}
                }
                | {
                    "lost": list(r.verdict.lost[:20]),
                    "duplicated": list(r.verdict.duplicated[:20]),
                },
                "checks": [asdict(check) for check in r.checks],
                "sender_answers": dict(r.answers),
                "details": dict(r.details),
            }
            for r in results
        ],
    }
