"""The catalogue: every fault scenario by key, in the order ``make chaos`` runs them.

Each entry turns a ``Context`` (the running pipeline, the broker or cluster if
this run owns it, the load plan and timing) into one ``Result``. The broker
outage runs last of the single-broker rows: it is the one fault that touches
every service at once. The broker-loss rows (``NEEDS_CLUSTER``) run after
them, on a pipeline of their own on a three-broker cluster, the one that
leaves a broker down last of all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from callstream.settings import Settings
from devkit.chaos.broker import OwnedBroker
from devkit.chaos.scenarios import cluster, inputs, processes, remote
from devkit.chaos.scenarios.base import (
    After,
    Fault,
    Progress,
    Result,
    Timing,
    steady_fault,
)
from devkit.chaos.senders import LoadPlan
from devkit.dev.config import prefixed_config, unpaced
from devkit.dev.pipeline import DevOptions, DevPorts, LocalPipeline
from devkit.localkafka.cluster import LocalCluster

CLUSTER_DOWN_S = 20.0
"""How long the broker-loss rows keep a killed broker away (or the load on without it)."""


def chaos_pipeline(
    settings: Settings,
    *,
    base_env: Mapping[str, str],
    state_dir: Path,
    progress: Progress,
    on_cluster: bool = False,
) -> LocalPipeline:
    """The pipeline the scenarios run against: the demo configuration under the settings'
    topic prefix (source topics included) on 4 partitions, lookups of 0.5 s, free ports;
    ``on_cluster``: as ``cluster.replicated`` shapes it for a three-broker cluster.

    Unpaced: the load sends each call an item a second and judges every item by its
    own token, so coalescing would read as loss (the guardrails' pacing has its own tests).
    """
    config = unpaced(prefixed_config(settings.topics.prefix, partitions=4))
    options = DevOptions(
        ports=DevPorts.free(),
        config=cluster.replicated(config) if on_cluster else config,
        orders_delay_s=0.5,
        loyalty_delay_s=0.5,
        console=False,
    )
    return LocalPipeline(
        settings, base_env=base_env, state_dir=state_dir, options=options, progress=progress
    )


@dataclass(frozen=True)
class Context:
    """What a scenario runs against."""

    pipeline: LocalPipeline
    plan: LoadPlan
    timing: Timing
    progress: Progress
    broker: OwnedBroker | None = None
    cluster: LocalCluster | None = None


def _poison(ctx: Context) -> Result:
    return inputs.poison(ctx.pipeline, ctx.plan, ctx.timing, ctx.progress)


def _overload(ctx: Context) -> Result:
    return inputs.overload(ctx.pipeline, ctx.plan, ctx.timing, ctx.progress)


def _hangups(ctx: Context) -> Result:
    return remote.hangups(ctx.pipeline, ctx.plan, ctx.progress)


def _steady(name: str, pick: Callable[[Context], Fault]) -> Callable[[Context], Result]:
    def run(ctx: Context) -> Result:
        return steady_fault(
            ctx.pipeline, name, pick(ctx), plan=ctx.plan, timing=ctx.timing, progress=ctx.progress
        )

    return run


def _steady_after(
    name: str, pick: Callable[[Context], tuple[Fault, After]]
) -> Callable[[Context], Result]:
    def run(ctx: Context) -> Result:
        fault, after = pick(ctx)
        return steady_fault(
            ctx.pipeline,
            name,
            fault,
            plan=ctx.plan,
            timing=ctx.timing,
            progress=ctx.progress,
            after=after,
        )

    return run


def _broker(ctx: Context) -> Result:
    if ctx.broker is None:
        raise ValueError("the broker outage needs a broker this run owns")
    return steady_fault(
        ctx.pipeline,
        "broker killed (SIGKILL) and restarted",
        processes.broker_outage(ctx.broker),
        plan=ctx.plan,
        timing=ctx.timing,
        progress=ctx.progress,
    )


def _broker_lost(*, restart: bool) -> Callable[[Context], tuple[Fault, After]]:
    def pick(ctx: Context) -> tuple[Fault, After]:
        if ctx.cluster is None:
            raise ValueError("the broker-loss rows need a cluster this run owns")
        return cluster.broker_lost(ctx.cluster, down_s=CLUSTER_DOWN_S, restart=restart)

    return pick


SCENARIOS: dict[str, Callable[[Context], Result]] = {
    "poison": _poison,
    "remote-5xx": _steady_after("remote 5xx for 20 s", lambda c: remote.remote_errors()),
    "remote-429": _steady_after("remote 429 + Retry-After", lambda c: remote.rate_limited()),
    "remote-hang": _steady_after("remote hangs (timeouts)", lambda c: remote.remote_hangs()),
    "hangups": _hangups,
    "injector-kill": _steady(
        "injector SIGKILLed and restarted",
        lambda c: processes.kill_and_restart("injector", in_flight_s=3.0),
    ),
    "injector-term": _steady(
        "injector SIGTERM (graceful) and restarted",
        lambda c: processes.terminate_and_restart("injector"),
    ),
    "streams-kill": _steady(
        "streams worker SIGKILLed and restarted",
        lambda c: processes.kill_and_restart("streams", from_kill=True),
    ),
    "streams-failover": _steady(
        "one of two streams workers SIGKILLed",
        lambda c: processes.one_of_two_workers_killed(c.pipeline),
    ),
    "streams-join": _steady_after(
        "second streams worker joins (rebalance)",
        lambda c: (processes.second_streams_worker(c.pipeline), processes.second_worker_leaves),
    ),
    "overload": _overload,
    "broker": _broker,
    "broker-lost": _steady_after(
        f"one broker of three SIGKILLed, restarted {CLUSTER_DOWN_S:g} s later",
        _broker_lost(restart=True),
    ),
    "broker-down": _steady_after(
        "one broker of three SIGKILLed and left down", _broker_lost(restart=False)
    ),
}
"""Every scenario, in run order."""

NEEDS_OWN_BROKER = frozenset({"broker"})
NEEDS_CLUSTER = frozenset({"broker-lost", "broker-down"})
"""Rows that run on a three-broker cluster of the run's own (with a pipeline of their own)."""
