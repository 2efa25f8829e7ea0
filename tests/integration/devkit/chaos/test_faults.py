"""The fault suite's reduced set: real processes, real faults, small load, the same judge.

The cheapest representative scenarios of ``make chaos`` (an injector crash,
a remote failing every request, poison on every input topic), run against the
whole pipeline as processes on the session's broker. Each must end with
nothing lost, nothing applied twice and every call's items in order; the
checks the scenario makes itself (the fault really happened, every poison
record dead-lettered) must hold too. About a minute and a half in all.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit.chaos.scenarios import chaos_pipeline, inputs, processes, remote
from devkit.chaos.scenarios.base import Timing, steady_fault
from devkit.chaos.senders import LoadPlan
from devkit.dev.pipeline import LocalPipeline
from devkit.testing.broker import BrokerHandle
from devkit.testing.chaos import assert_promise_held, pipeline_settings

PLAN = LoadPlan(calls=6, interval_s=1.0)
TIMING = Timing(before_s=2.0, after_s=4.0)


def _say(message: str) -> None:
    print(message)  # noqa: T201 - shown by pytest when a scenario fails


@pytest.fixture(scope="module")
def pipeline(
    kafka_broker: BrokerHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalPipeline]:
    """Every service running as a process, under a topic prefix of this module's own."""
    prefix = f"chaos{uuid.uuid4().hex[:8]}."
    settings, base_env = pipeline_settings(kafka_broker.bootstrap, prefix)
    state = Path(tmp_path_factory.mktemp("chaos"))
    with chaos_pipeline(settings, base_env=base_env, state_dir=state, progress=_say) as running:
        yield running
        dead = [r.service.name for r in running.exited()]
        assert not dead, f"services died during the tests: {dead}"


def test_an_injector_killed_mid_load_loses_and_doubles_nothing(pipeline: LocalPipeline) -> None:
    """SIGKILL the injector with applied commands in flight: resent, absorbed, applied once."""
    result = steady_fault(
        pipeline,
        "injector-kill",
        processes.kill_and_restart("injector", in_flight_s=3.0),
        plan=PLAN,
        timing=TIMING,
        progress=_say,
    )
    assert_promise_held(result)
    assert result.verdict.absorbed > 0, "no command in flight at the kill was sent again"


def test_a_remote_failing_every_request_loses_and_doubles_nothing(
    pipeline: LocalPipeline,
) -> None:
    """5xx for a window, some after applying: retries absorbed by command_id, nothing doubled."""
    fault, after = remote.remote_errors(window_s=8.0)
    result = steady_fault(
        pipeline, "remote-5xx", fault, plan=PLAN, timing=TIMING, progress=_say, after=after
    )
    assert_promise_held(result)
    assert result.verdict.absorbed > 0, "no retry of an applied command reached the remote"


def test_poison_on_every_input_topic_is_dead_lettered_and_the_load_flows(
    pipeline: LocalPipeline,
) -> None:
    """Not JSON, wrong schema, huge, on every input topic: each dead-lettered; the load unharmed."""
    result = inputs.poison(pipeline, PLAN, TIMING, _say)
    assert_promise_held(result)
