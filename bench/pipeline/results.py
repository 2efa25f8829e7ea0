"""Where a run's results go: ``bench/results/<date>-<host>.{json,md,png}`` (not committed)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from bench.pipeline.plot import plot
from bench.pipeline.report import render

RESULTS = Path(__file__).resolve().parents[1] / "results"


def stem(day: date, host: str) -> str:
    """``2026-11-23-myhost``: the host name kept to letters, digits, dots and dashes."""
    safe = re.sub(r"[^A-Za-z0-9.-]+", "-", host).strip("-.") or "host"
    return f"{day.isoformat()}-{safe}"


def write(results: Mapping[str, Any], directory: Path, name: str) -> dict[str, Path]:
    """The JSON, the Markdown report and the plot; their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": directory / f"{name}.json",
        "markdown": directory / f"{name}.md",
        "plot": directory / f"{name}.png",
    }
    paths["json"].write_text(json.dumps(results, indent=2, default=str) + "\n")
    paths["markdown"].write_text(render(results))
    plot(results, paths["plot"])
    return paths
