"""``python -m bench`` (what ``make bench`` runs): the whole pipeline measured end to end.

Parts (all by default; name some to run only those; the order is fixed):

  latency   end-to-end latency at fixed rates over live calls, beside the floor
            (three raw Kafka hops and a raw HTTP request), measured in turn
  cost      CPU seconds per 1,000 delivered messages per service (from the
            latency part's 500/s step, or from a step of its own)
  capacity  highest rate with p99 under the bound and nothing lost: one streams
            worker and one injector, then two of each
  versus    callstream against the reference's direct approach (a plain
            synchronous webhook server), under the same tool webhooks
  scale     the streams worker's memory per live call, and its recovery time

Loopback only; its own local broker unless KAFKA_BOOTSTRAP_SERVERS names one;
every part bounded in steps and time. Writes bench/results/<date>-<host>.json,
.md and .png, and prints the Markdown. ``--render F.json`` re-renders a saved run.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.pipeline.machine import describe
from bench.pipeline.report import render
from bench.pipeline.results import RESULTS, stem, write
from bench.pipeline.run import PARTS, Run, progress
from callstream.kafka import KafkaConnection
from callstream.paths import default_cache_dir
from devkit.localkafka.broker import read_state
from devkit.testing.broker import provide_broker


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("parts", nargs="*", metavar="PART", help=f"{', '.join(PARTS)} (default: all)")
    add("--calls", type=int, default=1000, help="live calls the load is spread over")
    add("--rates", type=float, nargs="+", default=[200.0, 500.0, 1000.0], help="events/s")
    add("--duration", type=float, default=10.0, help="seconds per latency step")
    add("--capacity-duration", type=float, default=6.0, help="seconds per capacity step")
    add("--capacity-start", type=float, default=500.0, help="first rate of the search")
    add("--capacity-steps", type=int, default=5, help="most steps per search")
    add("--bound-ms", type=float, default=100.0, help="p99 a sustainable rate stays under")
    add("--versus-calls", type=int, default=200)
    add("--lookup-s", type=float, default=2.0, help="how long each tool lookup takes")
    add("--webhook-timeout", type=float, default=10.0, help="how long a webhook may take")
    add("--spread", type=float, default=1.0, help="seconds the versus calls fire over")
    add("--pool", type=int, default=5, help="threads of the pooled direct server")
    add(
        "--bursts",
        type=int,
        nargs="*",
        default=[400, 2000],
        help="webhooks fired at one instant at callstream, one burst per size (versus)",
    )
    add("--scale-sizes", type=int, nargs="+", default=[10_000, 100_000])
    add("--partitions", type=int, default=12)
    add("--log-level", default="INFO", help="the services' log level (production: INFO)")
    add("--tool-runner-concurrency", type=int, default=None, help="override the config default")
    add(
        "--processing-guarantee",
        choices=["at_least_once", "exactly_once"],
        default=None,
        help="the streams worker's, instead of the config default (at_least_once)",
    )
    add(
        "--profile",
        nargs="+",
        default=[],
        choices=["streams", "injector", "ingress"],
        help="sample these services with py-spy in each reported pipeline step (slows them)",
    )
    add(
        "--note",
        default="",
        help="a sentence printed with the figures (the report itself says when other "
        "processes took a quarter of a core or more)",
    )
    add("--out", type=Path, default=RESULTS)
    add("--quick", action="store_true", help="tiny sizes: checks the harness, not the pipeline")
    add("--render", type=Path, default=None, help="re-render a saved JSON and exit")
    args = parser.parse_args(argv)
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {PARTS}")
    if any(size < 2 or size % 2 for size in args.bursts):
        parser.error("--bursts: each size must be even (every call fires two tools)")
    if args.quick:
        args.calls, args.rates, args.duration = 100, [100.0, 200.0], 3.0
        args.capacity_duration, args.capacity_start, args.capacity_steps = 3.0, 200.0, 2
        args.versus_calls, args.lookup_s, args.scale_sizes = 20, 0.5, [1000, 5000]
        args.bursts = [40, 200]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.render is not None:
        print(render(json.loads(args.render.read_text())), end="")
        return
    began = time.monotonic()
    now = datetime.now(UTC)
    machine = describe()
    results: dict[str, Any] = {
        "date": now.date().isoformat(),
        "when": now.isoformat(timespec="seconds"),
        "machine": machine,
        "note": args.note,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    cache = os.environ.get("CALLSTREAM_CACHE_DIR")
    java_home = os.environ.get("JAVA_HOME")
    with (
        tempfile.TemporaryDirectory(prefix="callstream-bench-") as tmp,
        provide_broker(
            work_dir=Path(tmp) / "kafka",
            cache_dir=Path(cache) if cache else default_cache_dir(),
            external_bootstrap=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            java_home=Path(java_home) if java_home else None,
            use_docker=False,
        ) as broker,
    ):
        progress(f"broker: {broker.description}")
        state = read_state(broker.data_dir) if broker.data_dir is not None else None
        run = Run(
            args,
            conn=KafkaConnection(bootstrap_servers=broker.bootstrap),
            work=Path(tmp),
            prefix=f"bench{uuid.uuid4().hex[:6]}.",
            broker_pid=state.pid if state else None,
        )
        results["broker"] = broker.description
        results["parts"] = run.all()
        results["stack"] = run.stack_info
        results["problems"] = run.problems
    results["elapsed_s"] = round(time.monotonic() - began, 1)
    results["machine"]["load_average_at_end"] = describe()["load_average"]
    paths = write(results, args.out, stem(now.date(), machine["host"]))
    print(render(results), end="")
    wrote = ", ".join(str(p) for p in paths.values())
    progress(f"took {results['elapsed_s']:.0f} s; wrote {wrote}")


if __name__ == "__main__":
    main()
