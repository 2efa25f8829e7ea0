"""A call's timeline, as the demo prints it: what happened, what the assistant heard, how fast.

Pure: rows are built from the player's own actions, the emulator's transcript
(what reached the call and when) and the injector's delivery records
(end-to-end latency from the cause to the remote's acceptance).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

RowKind = Literal["action", "delivered", "dead-lettered", "followed-up"]


@dataclass(frozen=True)
class Row:
    """One line of the timeline."""

    at: float
    """Unix time."""
    kind: RowKind
    source: str
    text: str
    latency_ms: float | None = None


_IDS = ("event:", "request:", "customer:", "phone:", "asked:")


def summary(text: str, width: int) -> str:
    """A message in one line: its headline and its quoted facts (the preface, identifiers and
    instruction left out), or headline and facts of an unquoted message."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if "<<<DATA" in lines and "DATA>>>" in lines:
        data = lines[lines.index("<<<DATA") + 1 : lines.index("DATA>>>")]
        facts = [fact for fact in data if not fact.startswith(_IDS)]
        line = f"{lines[0]} <<<{' | '.join(facts)}>>>"
    elif len(lines) >= 4 and lines[0].startswith("["):
        line = f"{lines[0]} " + ", ".join(lines[2:-1])
    else:
        line = " ".join(lines)
    return line if len(line) <= width else line[: width - 1] + "…"


def _source(content: str, command_id: str | None, sources: Mapping[str, str]) -> str:
    if command_id and command_id in sources:
        return sources[command_id]
    return "supervisor" if content.startswith("Supervisor:") else "?"


def delivered_rows(
    injected: Sequence[Mapping[str, Any]],
    *,
    latencies: Mapping[str, float],
    sources: Mapping[str, str],
) -> list[Row]:
    """One row per message the call received (the emulator's transcript entries)."""
    rows = []
    for entry in injected:
        content = str(entry["messages"][0]["content"])
        command_id = entry.get("command_id")
        rows.append(
            Row(
                at=float(entry["arrived_at"]),
                kind="delivered",
                source=_source(content, command_id, sources),
                text=content,
                latency_ms=latencies.get(command_id) if command_id else None,
            )
        )
    return rows


def render_table(rows: Sequence[Row], *, start: float, width: int = 72) -> str:
    """The timeline as a fixed-width table, times relative to ``start``."""
    lines = [f"{'time':>8}  {'':1} {'source':<26} {'message':<{width}} {'e2e latency':>11}"]
    lines.append("-" * len(lines[0]))
    marks = {"action": ">", "delivered": "+", "dead-lettered": "x", "followed-up": "~"}
    for row in sorted(rows, key=lambda r: r.at):
        latency = f"{row.latency_ms:.0f} ms" if row.latency_ms is not None else ""
        lines.append(
            f"{row.at - start:>+7.2f}s  {marks[row.kind]} {row.source[:26]:<26} "
            f"{summary(row.text, width):<{width}} {latency:>11}"
        )
    return "\n".join(lines)


def to_json(
    rows: Sequence[Row], *, call_control_id: str, start: float, problems: Sequence[str]
) -> str:
    """The timeline as JSON (full message texts, absolute and relative times)."""
    return json.dumps(
        {
            "call_control_id": call_control_id,
            "started_at": start,
            "ok": not problems,
            "problems": list(problems),
            "rows": [
                asdict(row) | {"t_s": round(row.at - start, 3)}
                for row in sorted(rows, key=lambda r: r.at)
            ],
        },
        indent=2,
    )
