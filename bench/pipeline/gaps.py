"""Why a goal was missed, in the run's own figures, and what would close the gap (pure).

Each explanation is computed from the same results dict the report renders,
so a re-rendered run explains itself; the remedies are the ones the
profiles and the part's floor point to. Never a verdict: ``goals`` decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def cpu_ms_per_event(step: Mapping[str, Any]) -> float | None:
    """CPU milliseconds this run's processes spent per delivered event (neighbours excluded)."""
    cpu, delivered = step.get("cpu_s") or {}, step.get("delivered") or 0
    if "machine_s" not in cpu or not delivered:
        return None
    busy = float(cpu["machine_s"]) - float(cpu.get("others_s", 0.0))
    return 1000 * busy / int(delivered)


def latency_gap(pipeline: Mapping[str, Any]) -> str | None:
    """Where a pipeline step's time went: before the streams decision, and after it."""
    stages = pipeline.get("stages", {})
    whole, crm = stages.get("all"), stages.get("crm_event")
    if whole is None:
        return None
    before, after = whole["until_decided"]["p50_ms"], whole["decided_to_remote"]["p50_ms"]
    cpu = pipeline.get("cpu_s", {})
    wall = cpu.get("wall_s") or 0
    busy = f"{cpu.get('streams', 0) / wall:.2f}" if wall else "n/a"
    text = (
        f"Of the p50, {before:.1f} ms pass before the streams worker decides and "
        f"{after:.1f} ms from its decision to the remote"
    )
    if crm is not None:
        text += (
            f" (a CRM event crosses the worker twice, via the by-call topic: "
            f"{crm['until_decided']['p50_ms']:.1f} ms before its decision)"
        )
    return (
        f"{text}. The worker kept {busy} of a core busy; records that arrive while it decides "
        "or waits for a batch's acknowledgements queue behind it (`--profile streams` shows "
        "where its time goes). To close it: more partitions and workers (a worker's join "
        "uses one core), and fewer hops for source events keyed by call id."
    )


def capacity_gap(pipeline: Mapping[str, Any], cores: int | None, goal: float) -> str | None:
    """The rate the machine's cores allow at the CPU each event cost in a pipeline step."""
    per = cpu_ms_per_event(pipeline)
    if per is None or not cores:
        return None
    ceiling = 1000 * cores / per
    needed = goal * per / 1000
    return (
        f"At {pipeline['rate']:,.0f}/s every delivered event cost {per:.1f} ms of CPU across the "
        f"run's processes (services, broker, remote, generator), so {cores} cores allow at "
        f"most ~{ceiling:,.0f} events/s however many workers run; more workers on the same "
        f"cores only share them. {goal:,.0f} events/s at this cost needs ~{needed:.1f} cores "
        "(`make bench`'s cost part shows which process spends it)."
    )


def recovery_gap(recovery: Mapping[str, Any]) -> str | None:
    """How much of a restore is reading the changelogs, and how much is building the tables."""
    restore, floor = recovery.get("restore_s"), recovery.get("floor_read_s")
    if restore is None or floor is None:
        return None
    return (
        f"A bare consumer reads the {recovery.get('changelog_records', 0):,} changelog "
        f"records in {floor:.1f} s; the other {max(0.0, restore - floor):.1f} s of the restore "
        "is building the tables and the deadline index (each call's state decoded once for "
        "its next deadline). To close it: build the deadline index after the partition is "
        "ready, a slice per loop turn; standby replicas, so a worker takes over already warm."
    )


def versus_gap(part: Mapping[str, Any]) -> str | None:
    """Why callstream took longer than the direct server to deliver every result, if it did."""
    sides = {s["side"]: s for s in part.get("sides", [])}
    ours, direct = sides.get("callstream"), sides.get("direct, thread per request")
    if ours is None or direct is None or ours.get("total_s") is None:
        return None
    if direct.get("total_s") is not None and ours["total_s"] <= direct["total_s"]:
        return None
    expected = ours["results_expected"]
    lookup = part.get("lookup_s", 0)
    concurrency = part.get("tool_runner_concurrency")
    took = f"Delivering every result took {ours['total_s']:.1f} s"
    if concurrency is not None and concurrency >= expected:
        return (
            f"{took}, against the direct server's {lookup:g} s lookup plus one request: the "
            f"{expected} lookups ran at once (tool_runner_concurrency {concurrency}), and each "
            "result then crosses Kafka to the streams worker, the join, Kafka again and the "
            "injector, on the same cores as the ingress and the lookups."
        )
    return (
        f"{took}: the tool runner holds tool_runner_concurrency lookups in flight per worker, "
        f"so {expected} lookups of {lookup:g} s drain in turns; the direct server starts a "
        "thread per request instead. Raise tool_runner_concurrency to the lookups expected at "
        "once (the bound protects the backends)."
    )


def answering_gap(side: Mapping[str, Any]) -> str | None:
    """Who had the cores while a side's webhooks were being answered: the ingress, the rest of
    the pipeline (the streams worker already starting lookups), the broker, the neighbours."""
    cpu = side.get("cpu_s_while_answering") or {}
    wall = cpu.get("wall_s") or 0
    if not wall:
        return None
    ingress, streams = cpu.get("ingress", 0.0), cpu.get("streams", 0.0)
    broker, others = cpu.get("broker", 0.0), cpu.get("others_s", 0.0)
    return (
        f"While the {side['webhooks']:,} webhooks of '{side['side']}' were answered "
        f"({wall:.1f} s), the ingress had {ingress / wall:.2f} of a core: the streams worker "
        f"took {streams / wall:.2f} (it starts the lookups as the calls arrive), the broker "
        f"{broker / wall:.2f}, the neighbours {others / wall:.2f}; the ingress used "
        f"{1000 * ingress / side['webhooks']:.2f} ms of CPU per webhook over that time (a fresh "
        "connection each). To close it: a core for the ingress (another worker or replica), and "
        "a cheaper request path (see the ingress's benchmark)."
    )
