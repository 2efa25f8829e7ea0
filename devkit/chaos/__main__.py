"""``python -m devkit.chaos`` (``make chaos``): every fault scenario, one table.

Starts a local Kafka broker of its own on a fixed port (the broker outage
kills and restarts it there; with ``KAFKA_BOOTSTRAP_SERVERS`` set it uses that
cluster instead and skips the outage), the whole pipeline as processes under
a topic prefix of its own, then runs the scenarios in turn on fresh calls.
The broker-loss rows then run on a three-broker cluster of the run's own,
with a pipeline of their own on topics of three replicas (skipped with
``KAFKA_BOOTSTRAP_SERVERS`` set: not ours to kill). It prints the report
table and writes it as JSON and Markdown to ``--out``. Exit status 1 if any
scenario lost or doubled anything or failed a check.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from callstream.settings import Settings, load_settings
from devkit.chaos import report
from devkit.chaos.broker import OwnedBroker
from devkit.chaos.scenarios import (
    NEEDS_CLUSTER,
    NEEDS_OWN_BROKER,
    SCENARIOS,
    Context,
    chaos_pipeline,
)
from devkit.chaos.scenarios.base import Result, Timing
from devkit.chaos.senders import LoadPlan
from devkit.dev.config import without_developer_settings
from devkit.localkafka import JarCache
from devkit.localkafka.cluster import LocalCluster


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="scenario",
        help="which to run (default: all, in this order): " + ", ".join(SCENARIOS),
    )
    parser.add_argument("--calls", type=int, default=24, help="live calls per scenario")
    parser.add_argument(
        "--interval", type=float, default=1.0, help="seconds between items, per call"
    )
    parser.add_argument("--before", type=float, default=5.0, help="load before the fault (s)")
    parser.add_argument("--after", type=float, default=10.0, help="load after the fault (s)")
    parser.add_argument("--out", type=Path, default=Path("chaos-results"))
    parser.add_argument("--keep", action="store_true", help="keep the state dir (logs) at the end")
    return parser.parse_args(argv)


def _child_settings(settings: Settings, bootstrap: str, prefix: str) -> Settings:
    env = settings.env.model_copy(
        update={"kafka_bootstrap_servers": bootstrap, "callstream_topic_prefix": prefix}
    )
    return dataclasses.replace(settings, env=env)


def _run(keys: list[str], context: Context) -> list[Result]:
    results = []
    for key in keys:
        _say(f"--- scenario {key}")
        try:
            result = SCENARIOS[key](context)
        except Exception:  # noqa: BLE001 - one broken scenario is reported; the others still run
            _say(f"scenario {key} failed to run:\n{traceback.format_exc()}")
            dead = [running.service.name for running in context.pipeline.exited()]
            if dead:
                _say(f"services died: {dead}; stopping the run")
                break
            continue
        results.append(result)
        verdict = result.verdict
        _say(
            f"{key}: {'PASS' if result.passed else 'FAIL'} accepted {verdict.accepted}, "
            f"delivered {verdict.delivered}, lost {verdict.lost_count}, "
            f"duplicated {verdict.duplicated_effects} ({result.duration_s:.0f} s)"
        )
        for check in result.checks:
            _say(f"  [{'ok' if check.ok else 'FAILED'}] {check.name}: {check.detail}")
        for problem in verdict.problems:
            _say(f"  [FAILED] {problem}")
        context.pipeline.stack.wait_all_ready()
    return results


def _rows_on(
    keys: list[str],
    args: argparse.Namespace,
    settings: Settings,
    bootstrap: str,
    state_dir: Path,
    *,
    broker: OwnedBroker | None = None,
    cluster: LocalCluster | None = None,
) -> list[Result]:
    """Run ``keys`` against a pipeline on ``bootstrap`` (topics of 3 replicas on a cluster)."""
    prefix = f"chaos{os.getpid()}."
    env = without_developer_settings(os.environ)
    env |= {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "CALLSTREAM_TOPIC_PREFIX": prefix}
    with chaos_pipeline(
        _child_settings(settings, bootstrap, prefix),
        base_env=env,
        state_dir=state_dir,
        progress=_say,
        on_cluster=cluster is not None,
    ) as pipeline:
        context = Context(
            pipeline=pipeline,
            plan=LoadPlan(calls=args.calls, interval_s=args.interval),
            timing=Timing(before_s=args.before, after_s=args.after),
            progress=_say,
            broker=broker,
            cluster=cluster,
        )
        return _run(keys, context)


def _single_broker_rows(
    keys: list[str],
    args: argparse.Namespace,
    settings: Settings,
    state: Path,
    external: str | None,
) -> list[Result]:
    """The rows on one broker: the run's own (the outage kills it), or the external cluster."""
    broker: OwnedBroker | None = None
    try:
        if external:
            bootstrap = external
        else:
            broker = OwnedBroker(
                state / "kafka", settings.cache_dir, java_home=settings.env.java_home
            )
            _say(f"starting a local Kafka broker on port {broker.port}")
            broker.start()
            bootstrap = broker.bootstrap
        return _rows_on(keys, args, settings, bootstrap, state / "pipeline", broker=broker)
    finally:
        if broker is not None:
            broker.stop()


def _cluster_rows(
    keys: list[str], args: argparse.Namespace, settings: Settings, state: Path
) -> list[Result]:
    """The broker-loss rows: a three-broker cluster and a pipeline on topics of 3 replicas."""
    cluster = LocalCluster(
        state / "cluster",
        JarCache.default(settings.cache_dir / "kafka"),
        brokers=3,
        java_home=settings.env.java_home,
    )
    try:
        _say("starting a local Kafka cluster of 3 brokers")
        cluster.start(progress=_say)
        bootstrap = cluster.bootstrap
        _say(f"cluster at {bootstrap}")
        state_dir = state / "cluster-pipeline"
        return _rows_on(keys, args, settings, bootstrap, state_dir, cluster=cluster)
    finally:
        cluster.stop()


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    keys = args.scenarios or list(SCENARIOS)
    unknown = [key for key in keys if key not in SCENARIOS]
    if unknown:
        _say(f"unknown scenario(s): {', '.join(unknown)}")
        return 2
    settings = load_settings()
    started = time.monotonic()
    header: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": report.machine(),
    }
    state = Path(tempfile.mkdtemp(prefix="callstream-chaos-"))
    _say(f"state and logs in {state}")
    external = settings.env.kafka_bootstrap_servers
    single = [key for key in keys if key not in NEEDS_CLUSTER]
    clustered = [key for key in keys if key in NEEDS_CLUSTER]
    if external:
        skipped = [key for key in keys if key in NEEDS_OWN_BROKER | NEEDS_CLUSTER]
        if skipped:
            _say(f"KAFKA_BOOTSTRAP_SERVERS is set: not ours to kill; skipping {skipped}")
        single = [key for key in single if key not in NEEDS_OWN_BROKER]
        clustered = []
    keys = single + clustered
    results = []
    if single:
        results += _single_broker_rows(single, args, settings, state, external)
    if clustered:
        results += _cluster_rows(clustered, args, settings, state)
    kafka = [f"external {external}" if external else "owned local broker"] if single else []
    header["kafka"] = ", ".join([*kafka, *(["owned 3-broker cluster"] if clustered else [])])
    header["duration_s"] = time.monotonic() - started
    table = report.markdown(results, header)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (args.out / f"chaos-{stamp}.md").write_text(table)
    (args.out / f"chaos-{stamp}.json").write_text(
        json.dumps(report.as_json(results, header), indent=2, default=str) + "\n"
    )
    _say(f"report written to {args.out}/chaos-{stamp}.{{md,json}}")
    passed = len(results) == len(keys) and all(r.passed for r in results)
    if passed and not args.keep:
        shutil.rmtree(state, ignore_errors=True)
    else:
        _say(f"logs kept in {state}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
