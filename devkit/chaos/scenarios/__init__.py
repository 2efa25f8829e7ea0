"""The catalogue: every fault scenario by key, in the order ``make chaos`` runs them.

Each entry turns a ``Context`` (the running pipeline, the broker if this run
owns it, the load plan and timing) into one ``Result``. The broker outage
runs last: it is the one fault that touches every service at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from callstream.settings import Settings
from devkit.chaos.broker import OwnedBroker
from devkit.chaos.scenarios import inputs, processes, remote
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


def chaos_pipeline(
    settings: Settings,
    *,
    base_env: Mapping[str, str],
    state_dir: Path,
    progress: Progress,
) -> LocalPipeline:
    """The pipeline the scenarios run against: the demo configuration under the settings'
    topic prefix (source topics included) on 4 partitions, lookups of 0.5 s, free ports.

    Unpaced: the load sends each call an item a second and judges every item by its
    own token, so coalescing would read as loss (the guardrails' pacing has its own tests).
    """
    options = DevOptions(
        ports=DevPorts.free(),
        config=unpaced(prefixed_config(settings.topics.prefix, partitions=4)),
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
}
"""Every scenario, in run order."""

NEEDS_OWN_BROKER = frozenset({"broker"})
