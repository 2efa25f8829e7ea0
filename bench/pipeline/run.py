"""One run of the whole benchmark: the parts in a bounded order, on one broker and one pipeline.

Order: the parts that need the pipeline share one ``LocalPipeline`` (latency,
whose 500/s step also gives the cost model; the capacity search with one
streams worker and one injector; the comparison with the direct approach;
then the capacity search again after adding a streams worker and an
injector), and the scale part runs last on a streams worker of its own, once
the pipeline is gone, so its memory figures are not disturbed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.pipeline import capacity, latency, remote, scale, versus
from bench.pipeline.cost import cost
from bench.pipeline.search import SearchPolicy
from bench.pipeline.steps import Mode, Rig, run_step
from bench.pipeline.under_test import StackOptions, bench_pipeline
from callstream.kafka import KafkaConnection
from devkit.dev.pipeline import LocalPipeline

PARTS = ("latency", "cost", "capacity", "versus", "scale")
STACK_PARTS = frozenset({"latency", "cost", "capacity", "versus"})
COST_RATE = 500.0
EXTRA_WORKERS = ("streams-2", "injector-2")


def progress(line: str) -> None:
    """Progress goes to stderr, so stdout carries only the report."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class Run:
    """The parts asked for, with what they share."""

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        conn: KafkaConnection,
        work: Path,
        prefix: str,
        broker_pid: int | None,
        env: Mapping[str, str] = os.environ,
    ) -> None:
        self.args = args
        self.parts = set(args.parts or PARTS)
        self.conn = conn
        self.work = work
        self.prefix = prefix
        self.broker_pid = broker_pid
        self.env = dict(env)
        self.found: dict[str, Any] = {}
        self.problems: list[str] = []
        self.stack_info: dict[str, Any] = {}

    def all(self) -> dict[str, Any]:
        if self.parts & STACK_PARTS:
            self._with_stack()
        if "scale" in self.parts:
            progress("4. streams worker memory and recovery")
            self.found["scale"] = scale.run(
                self.conn,
                prefix=f"{self.prefix}scale.",
                partitions=self.args.partitions,
                sizes=tuple(sorted(self.args.scale_sizes)),
                env=self.env,
                state=self.work / "scale",
                progress=progress,
            )
        return self.found

    def _options(self) -> StackOptions:
        args = self.args
        return StackOptions(
            prefix=self.prefix,
            partitions=args.partitions,
            lookup_s=args.lookup_s,
            log_level=args.log_level,
            tool_runner_concurrency=args.tool_runner_concurrency,
            processing_guarantee=args.processing_guarantee,
        )

    def _with_stack(self) -> None:
        progress("starting the pipeline: topics, emulator, backends, streams, injector, ingress")
        state = self.work / "stack"
        with bench_pipeline(self.conn, self._options(), self.env, state) as pipeline:
            self.stack_info = {
                "partitions": self.args.partitions,
                "log_level": self.args.log_level,
                "tool_runner_concurrency": pipeline.config.streams.tool_runner_concurrency,
                "processing_guarantee": pipeline.config.streams.processing_guarantee,
            }
            rig = Rig(
                pipeline,
                self._live_calls(pipeline),
                self.work,
                broker_pid=self.broker_pid,
                profile=tuple(self.args.profile),
                profile_dir=self.args.out / "profile",
            )
            if "latency" in self.parts:
                progress("1. end-to-end latency: the floor and callstream in turn")
                self.found["latency"] = latency.run(
                    rig, rates=self.args.rates, duration_s=self.args.duration, progress=progress
                )
            if "cost" in self.parts:
                self.found["cost"] = cost(self._cost_step(rig))
            if "capacity" in self.parts:
                progress("2. highest sustainable rate, 1 streams worker + 1 injector")
                self.found["capacity"] = {"1+1": self._search(rig, "1+1", self.args.capacity_start)}
                progress("2. highest sustainable rate of the floor, searched the same way")
                with latency.floor_chain(rig):  # the floor's relays run only for its own steps
                    latency.warm_up(rig, ["floor"])
                    self.found["capacity"]["floor"] = self._search(
                        rig, "floor", self.args.capacity_start, mode="floor"
                    )
            if "versus" in self.parts:
                progress("3. against the direct approach")
                self.found["versus"] = self._versus(rig)
            if "capacity" in self.parts:
                progress("2. highest sustainable rate, 2 streams workers + 2 injectors")
                pipeline.add_streams_worker("streams-2")
                pipeline.add_injector("injector-2")
                workers = ("streams", "injector")
                ready = pipeline.stack.ready
                remote.wait_until(lambda: float(ready(*workers)), 1.0, stall_s=120, max_s=120)
                latency.warm_up(rig, ["pipeline"])
                start = max(
                    self.args.capacity_start, self.found["capacity"]["1+1"]["sustained_rate"] or 0
                )
                self.found["capacity"]["2+2"] = self._search(rig, "2+2", start)
                for name in EXTRA_WORKERS:  # SIGTERM: each leaves its group, handing back
                    pipeline.stack.terminate(name)
                    pipeline.stack.forget(name)
            dead = [running.service.name for running in pipeline.exited()]
            if dead:
                self.problems.append(f"services that exited during the run: {', '.join(dead)}")

    def _live_calls(self, pipeline: LocalPipeline) -> list[str]:
        if not self.parts & {"latency", "cost", "capacity"}:
            return []
        count = self.args.calls
        progress(f"starting {count} live calls at the emulator (signed webhooks to the ingress)")
        calls = remote.start_calls(pipeline.emulator_url, 0, count)
        _, live = remote.wait_until(
            lambda: pipeline.stack.metric(
                "streams", "callstream_streams_table_keys", table="calls", status="active"
            ),
            count,
            stall_s=30,
            max_s=180,
        )
        if not live:
            self.problems.append("not every call was live in the streams registry before the load")
        return calls

    def _cost_step(self, rig: Rig) -> dict[str, Any]:
        steps = self.found.get("latency", {}).get("steps", [])
        found = next((s["pipeline"] for s in steps if s["rate"] == COST_RATE), None)
        if found is not None:
            return dict(found)
        progress(f"5. cost: a step at {COST_RATE:.0f}/s")
        return run_step(
            rig, mode="pipeline", label="cost", rate=COST_RATE, duration_s=self.args.duration
        ).as_dict()

    def _search(
        self, rig: Rig, workers: str, start: float, *, mode: Mode = "pipeline"
    ) -> dict[str, Any]:
        args = self.args
        return capacity.run(
            rig,
            workers=workers,
            mode=mode,
            policy=SearchPolicy(start=start, max_steps=args.capacity_steps),
            duration_s=args.capacity_duration,
            bound_ms=args.bound_ms,
            progress=progress,
        )

    def _versus(self, rig: Rig) -> dict[str, Any]:
        args = self.args
        return versus.run(
            rig.pipeline,
            first_caller=100_000,
            calls=args.versus_calls,
            lookup_s=args.lookup_s,
            timeout_s=args.webhook_timeout,
            spread_s=args.spread,
            pool=args.pool,
            bound_s=max(30.0, 15 * args.lookup_s),
            ledger=rig.ledger,
            bursts=args.bursts,
            progress=progress,
        )
