"""The Markdown report of a run (pure): one table per part, then the goals.

Everything comes from the results dict that is also written as JSON, so the
tables can be re-rendered from a saved run (``python -m bench --render F``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench.pipeline.gaps import versus_gap
from bench.pipeline.goals import GOAL_RATE, check
from bench.pipeline.plan import KIND_LABELS

Row = Sequence[object]


def table(headers: Sequence[str], rows: Sequence[Row]) -> str:
    """A Markdown table; None cells read ``n/a``."""

    def cell(value: object) -> str:
        return "n/a" if value is None else str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def ms(value: float | None) -> str:
    """Milliseconds to three significant figures, e.g. ``4.21``, ``38.2``, ``512``."""
    if value is None:
        return "n/a"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def trio(latency: Mapping[str, Any]) -> str:
    """``p50 / p95 / p99`` of a latency summary."""
    return " / ".join(ms(latency[k]) for k in ("p50_ms", "p95_ms", "p99_ms"))


def ratio(value: float | None) -> str:
    return "n/a" if value is None else f"x{value:.1f}"


def cores(step: Mapping[str, Any]) -> str:
    """What the neighbours took during a step, in cores."""
    return others(step["cpu_s"])


def others(cpu: Mapping[str, Any] | None) -> str:
    """What the neighbours took over the window of ``cpu`` (``machine.spent``), in cores."""
    wall = (cpu or {}).get("wall_s") or 0
    return "n/a" if cpu is None or not wall else f"{cpu['others_s'] / wall:.2f}"


def header(results: Mapping[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        f"## callstream end-to-end benchmark, {results['date']}",
        "",
        f"Machine: `{machine['host']}`, {machine['cpus']} cores ({machine['cpu_model']}), "
        f"{machine['memory_gib']} GiB, {machine['os']}, Python {machine['python']}; "
        f"broker: {results['broker']}. Load average at the start "
        f"{' / '.join(str(x) for x in machine['load_average'])}.",
    ]
    stack = results.get("stack") or {}
    if stack:
        lines[-1] += (
            f" Pipeline: {stack.get('partitions')} partitions, streams "
            f"`{stack.get('processing_guarantee', 'at_least_once')}`, tool runner "
            f"{stack.get('tool_runner_concurrency')} at once, services logging at "
            f"{stack.get('log_level')}."
        )
    if results.get("note"):
        lines += ["", f"**{results['note']}**"]
    busiest = most_others(results)
    if busiest is not None and busiest >= NOISY_OTHERS_CORES:
        lines += [
            "",
            f"**Other processes on the machine took up to {busiest:.2f} cores during a "
            "measured window ('others' in each table): the figures beside it are noisy.**",
        ]
    return "\n".join(lines)


# From this share of a core taken by other processes during a window, say so over the report.
NOISY_OTHERS_CORES = 0.25


def most_others(results: Any) -> float | None:
    """The most other processes took, in cores, over any measured window in ``results``
    (every ``machine.spent`` record, wherever it sits), or None when none was measured."""
    found: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            if value.get("wall_s") and "others_s" in value:
                found.append(value["others_s"] / value["wall_s"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(results)
    return max(found) if found else None


def latency_section(part: Mapping[str, Any]) -> str:
    steps = part["steps"]
    rows = [
        (
            f"{s['rate']:,.0f}",
            trio(s["pipeline"]["latency"]),
            trio(s["floor"]["latency"]),
            f"{ratio(s['ratio_p50'])} / {ratio(s['ratio_p99'])}",
            f"{s['pipeline']['delivered']:,} / {s['pipeline']['planned']:,}",
            s["pipeline"]["lost"] + s["pipeline"]["refused"],
            ms(s["pipeline"]["send_lag"]["p99_ms"]),
            cores(s["pipeline"]),
        )
        for s in steps
    ]
    text = [
        f"### 1. End-to-end latency, {part['calls']:,} live calls, {part['duration_s']:.0f} s per"
        " rate (ms, p50 / p95 / p99)",
        "",
        table(
            [
                "offered events/s",
                "callstream",
                "floor: 3 Kafka hops + 1 HTTP",
                "ratio p50 / p99",
                "delivered",
                "lost or refused",
                "generator late p99",
                "others (cores)",
            ],
            rows,
        ),
    ]
    kinds = sorted({k for s in steps for k in s["pipeline"]["by_kind"]})
    if kinds:
        text += ["", "By the way each event came in (p50 / p99 ms at each rate):", ""]
        text.append(
            table(
                ["event", *[f"{s['rate']:,.0f}/s" for s in steps]],
                [
                    (
                        KIND_LABELS.get(kind, kind),
                        *[_pair(s["pipeline"]["by_kind"].get(kind)) for s in steps],
                    )
                    for kind in kinds
                ],
            )
        )
    stages = next((s for s in steps if s["rate"] == GOAL_RATE), steps[-1] if steps else None)
    if stages and stages["pipeline"].get("stages"):
        text += [
            "",
            f"Where the time went at {stages['rate']:,.0f}/s (p50 / p99 ms): until the streams "
            "worker decided (`created_at` of the injection), and from that decision to the "
            "remote:",
            "",
            table(
                ["event", "until decided", "decided to remote"],
                [
                    (
                        "all" if key == "all" else KIND_LABELS.get(key, key),
                        _pair(v["until_decided"]),
                        _pair(v["decided_to_remote"]),
                    )
                    for key, v in stages["pipeline"]["stages"].items()
                ],
            ),
        ]
    return "\n".join(text)


def _pair(latency: Mapping[str, Any] | None) -> str:
    if not latency:
        return "n/a"
    return f"{ms(latency['p50_ms'])} / {ms(latency['p99_ms'])}"


def capacity_section(part: Mapping[str, Any]) -> str:
    rows = []
    for workers, search in part.items():
        tried = ", ".join(
            f"{s['rate']:,.0f} ({ms(s['latency']['p99_ms'])} ms"
            + (f", {s['lost'] + s['refused']} lost" if s["lost"] + s["refused"] else "")
            + (") ok" if s["passed"] else ") over")
            for s in search["steps"]
        )
        sustained = search["sustained_rate"]
        rows.append(
            (
                workers.replace("+", " + "),
                "none of the rates tried" if sustained is None else f"{sustained:,.0f}",
                tried,
            )
        )
    bound = next(iter(part.values()))["bound_ms"] if part else 100
    return "\n".join(
        [
            f"### 2. Highest sustainable rate (p99 < {bound:.0f} ms, nothing lost)",
            "",
            table(["streams + injectors", "events/s", "rates tried (p99)"], rows),
        ]
    )


def delivered_after(side: Mapping[str, Any]) -> str:
    """When every result had reached its call; when not all did, when those that did had."""
    if side["total_s"] is not None:
        return f"{side['total_s']:.1f} s"
    last = side.get("last_result_s")
    if last is None:
        return "none"
    return f"not all; the {side['results_delivered']:,} after {last:.1f} s"


def versus_section(part: Mapping[str, Any]) -> str:
    rows = [
        (
            s["side"],
            f"{s['webhooks']:,}",
            f"{s['spread_s']:g} s",
            ms(s["ack"]["p50_ms"]),
            ms(s["ack"]["p99_ms"]),
            f"{s['not_taken']:,}",
            f"{s['results_delivered']:,} / {s['results_expected']:,}",
            delivered_after(s),
            f"{others(s.get('cpu_s_while_answering'))} / {others(s.get('cpu_s_until_delivered'))}",
        )
        for s in part["sides"]
    ]
    slower = versus_gap(part)
    memory = [
        f"the ingress's resident memory under the burst of {s['webhooks']:,}: "
        f"{s['ingress_rss_mib']['before']} MiB before, {s['ingress_rss_mib']['peak']} MiB at most"
        for s in part["sides"]
        if s.get("burst") and s.get("ingress_rss_mib")
    ]
    return "\n".join(
        [
            f"### 3. Against the direct approach: {part['calls']} calls x "
            f"{part['tools_per_call']} tools, {part['lookup_s']:g} s lookups, webhooks "
            f"answered within {part['webhook_timeout_s']:g} s"
            + ("; then bursts at one instant" if part.get("bursts") else ""),
            "",
            table(
                [
                    "server",
                    "webhooks",
                    "calls fire over",
                    "ack p50 ms",
                    "ack p99 ms",
                    "not taken",
                    "results at the call",
                    "every result delivered after",
                    "others, cores (answering / until delivered)",
                ],
                rows,
            ),
            *(["", "Same run: " + "; ".join(memory) + "."] if memory else []),
            *(["", slower] if slower else []),
        ]
    )


def scale_section(part: Mapping[str, Any]) -> str:
    rows = [("0", f"{part['empty_rss_mib']}", "")]
    rows += [
        (f"{m['live_calls']:,}", f"{m['rss_mib']}", f"{m['bytes_per_call'] / 1024:.2f} KiB")
        for m in part["memory"]
    ]
    recovery = part["recovery"]
    recovered = recovery["recovered_s"]
    return "\n".join(
        [
            "### 4. Streams worker: memory and recovery",
            "",
            table(["live calls", "RSS MiB", "per call"], rows),
            "",
            table(
                ["restart with", "ready (tables recovered)", "all calls indexed", "floor"],
                [
                    (
                        f"{recovery['live_calls']:,} calls "
                        f"({recovery['changelog_records']:,} changelog records)",
                        f"{recovery['ready_s']:.1f} s",
                        "n/a" if recovered is None else f"{recovered:.1f} s",
                        f"empty tables: ready in {part['empty_start_s']:.1f} s; a bare consumer "
                        f"reads the changelogs in {recovery['floor_read_s']:.1f} s",
                    )
                ],
            ),
        ]
    )


def cost_section(part: Mapping[str, Any]) -> str:
    per = part["per_1000"]
    rows = [(name, f"{value:.3f}") for name, value in per.items() if value is not None]
    return "\n".join(
        [
            f"### 5. CPU seconds per 1,000 delivered messages ({part['rate']:,.0f} events/s, "
            f"{part['delivered']:,} delivered, mix as in 1)",
            "",
            table(["process", "CPU s / 1,000"], rows),
        ]
    )


def goals_section(parts: Mapping[str, Any], cores: int | None = None) -> str:
    verdicts = check(parts, cores)
    rows = [
        (v.goal, v.measured, {True: "met", False: "**not met**", None: "not measured"}[v.met])
        for v in verdicts
    ]
    lines = ["### Goals", "", table(["goal", "measured", ""], rows)]
    reasons: dict[str, list[str]] = {}
    for verdict in verdicts:
        if verdict.why:
            reasons.setdefault(verdict.why, []).append(verdict.goal)
    if reasons:
        lines += ["", "Why, and what would close the gap:", ""]
        lines += [f"- *{'; '.join(goals)}*: {why}" for why, goals in reasons.items()]
    return "\n".join(lines)


def render(results: Mapping[str, Any]) -> str:
    """The whole report."""
    parts = results["parts"]
    sections = [header(results)]
    renderers = {
        "latency": latency_section,
        "capacity": capacity_section,
        "versus": versus_section,
        "scale": scale_section,
        "cost": cost_section,
    }
    for name, render_part in renderers.items():
        if parts.get(name):
            sections.append(render_part(parts[name]))
    sections.append(goals_section(parts, results.get("machine", {}).get("cpus")))
    return "\n\n".join(sections) + "\n"
