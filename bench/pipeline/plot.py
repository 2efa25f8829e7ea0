"""The plot of a run: latency percentiles against offered rate (matplotlib, Agg, to a PNG)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, never a window

import matplotlib.pyplot as plt

PERCENTILES = (("p50_ms", "p50", "o"), ("p95_ms", "p95", "s"), ("p99_ms", "p99", "^"))


def _series(steps: list[Mapping[str, Any]], key: str) -> tuple[list[float], list[float]]:
    points = [(s["rate"], s["latency"][key]) for s in steps if s["latency"][key] is not None]
    points.sort()
    return [p[0] for p in points], [p[1] for p in points]


def plot(results: Mapping[str, Any], path: Path) -> Path:
    """Write the PNG; the latency part's rates with the floor, and the capacity searches' steps."""
    parts = results["parts"]
    figure, axes = plt.subplots(figsize=(9, 5.5), dpi=120)
    latency = parts.get("latency") or {}
    pipeline = [s["pipeline"] for s in latency.get("steps", [])]
    floor = [s["floor"] for s in latency.get("steps", [])]
    for key, name, marker in PERCENTILES:
        if pipeline:
            axes.plot(*_series(pipeline, key), marker=marker, color="tab:blue",
                      alpha={"p50": 1.0, "p95": 0.7, "p99": 0.45}[name],
                      label=f"callstream {name}")  # fmt: skip
        if floor:
            axes.plot(*_series(floor, key), marker=marker, color="tab:gray", linestyle="--",
                      alpha={"p50": 1.0, "p95": 0.7, "p99": 0.45}[name],
                      label=f"floor {name}")  # fmt: skip
    colours = {"1+1": "tab:orange", "2+2": "tab:green"}
    for workers, search in (parts.get("capacity") or {}).items():
        xs, ys = _series(search["steps"], "p99_ms")
        axes.scatter(xs, ys, color=colours.get(workers, "tab:red"), marker="x", zorder=3,
                     label=f"capacity search {workers.replace('+', ' + ')}, p99")  # fmt: skip
        bound = search["bound_ms"]
        axes.axhline(bound, color="tab:red", linewidth=0.8, linestyle=":")
    axes.set_yscale("log")
    axes.set_xlabel("offered events per second")
    axes.set_ylabel("end-to-end latency, ms (log scale)")
    machine = results["machine"]
    axes.set_title(
        f"callstream end to end, {results['date']}, {machine['host']} "
        f"({machine['cpus']} cores{', shared' if results.get('note') else ''})"
    )
    axes.grid(True, which="both", linewidth=0.3)
    axes.legend(fontsize="small", ncols=2)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
