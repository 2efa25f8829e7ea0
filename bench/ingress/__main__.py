"""``python -m bench.ingress``: accepted webhooks/s and ack latency of the ingress, and the floor.

Phases, all on one broker (``KAFKA_BOOTSTRAP_SERVERS``, else a local one
started for the run) and loopback only, each bounded in time:

1. floor: a bare confluent-kafka producer with the ingress's settings,
   one record at a time and flat out;
2. publisher comparison: AIOProducer against Producer + polling thread;
3. load-generator ceiling: the generator against a do-nothing HTTP server;
4. rounds, side by side under the same neighbours: the bare producer at the
   offered rate, then the ingress (``callstream ingress``, a real process)
   at that rate, then the ingress saturated; every 202 is finally counted
   on the topic. Medians over the rounds are the headline figures;
5. the app's own CPU per request, called in process (``inprocess.py``).

Writes bench/results/ingress-<time>.json and prints the figures with ratios.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import uvloop
from confluent_kafka import KafkaException

from bench.ingress import floor, harness
from callstream.config import AppConfig
from callstream.kafka import KafkaConnection, ensure_topics
from callstream.paths import default_cache_dir
from callstream.topics import Topics, TopicSpec, topic_specs
from devkit.localkafka.broker import read_state
from devkit.testing.broker import provide_broker
from devkit.testing.kafka import end_offsets
from ingress.kafka_publisher import ingress_producer_config

TOKEN = "bench-token-0123456789"  # noqa: S105 - a throw-away token on loopback
RESULTS = Path(__file__).resolve().parents[1] / "results"


def _ratio(numerator: Any, denominator: Any) -> float | None:
    if not numerator or not denominator:
        return None
    return round(float(numerator) / float(denominator), 2)


def _median(values: list[Any]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return round(statistics.median(present), 3) if present else None


def _wait_for_topics(conn: KafkaConnection, topics: list[str]) -> None:
    deadline = time.monotonic() + 60
    for topic in topics:
        while True:
            try:
                end_offsets(conn, topic)
                break
            except KafkaException:  # a new topic's leaders take a moment
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def _listening_pid(bootstrap: str) -> int | None:
    """The local process listening on the first bootstrap address's port, if any."""
    host, _, port = bootstrap.split(",", maxsplit=1)[0].rpartition(":")
    if host not in {"127.0.0.1", "localhost"}:
        return None
    for connection in psutil.net_connections(kind="tcp"):
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == int(port):
            return connection.pid
    return None


def _with_cpu(meter: harness.CpuMeter, phase: dict[str, Any]) -> dict[str, Any]:
    shares = meter.shares()
    generator = float(phase.get("generator_cpu_share") or 0.0)
    known = sum(v for k, v in shares.items() if k not in {"machine", "machine_cores"})
    shares["generator"] = generator
    shares["others"] = round(max(0.0, shares["machine"] - known - generator), 2)
    return phase | {"cpu": shares}


def run(args: argparse.Namespace, conn: KafkaConnection, broker_pid: int | None) -> dict[str, Any]:
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    topics = Topics(prefix=prefix)
    partitions = AppConfig().topics.partitions
    floor_topic, publishers_topic = f"{prefix}floor", f"{prefix}publishers"
    specs = topic_specs(topics, partitions=partitions, replication_factor=1)
    specs += [TopicSpec(name, partitions, 1) for name in (floor_topic, publishers_topic)]
    ensure_topics(conn, specs)
    _wait_for_topics(conn, [spec.name for spec in specs])
    producer_settings = ingress_producer_config(conn, AppConfig().ingress, client_id="bench")
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": psutil.cpu_count(), "load_avg_at_start": os.getloadavg()},
        "settings": vars(args) | {"partitions": partitions},
    }

    print(f"floor: bare producer on {conn.bootstrap_servers} ...", flush=True)
    bare = floor.BareProducer(producer_settings, floor_topic)
    bare.warm_up(args.burst)
    report["floor"] = {"sequential": bare.sequential(), "flat_out": bare.flat_out(args.burst)}
    if not args.skip_comparison:
        print("publisher comparison: AIOProducer vs Producer + poll thread ...", flush=True)
        report["publishers"] = uvloop.run(
            floor.compare_publishers(
                producer_settings,
                publishers_topic,
                rate=args.rate,
                duration_s=min(args.duration, 5.0),
                burst=min(args.burst, 10_000),
            )
        )

    print("load generator ceiling (against a do-nothing server) ...", flush=True)
    with harness.null_server(RESULTS) as null:
        report["generator_ceiling"] = harness.load(
            null.url,
            mode="saturate",
            duration_s=min(args.duration, 5.0),
            connections=args.connections,
            rate=args.rate,
            token=TOKEN,
        )

    config_file = RESULTS / "ingress-bench-config.yaml"
    config_file.write_text("sources: {}\n")
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": conn.bootstrap_servers,
        "CALLSTREAM_TOPIC_PREFIX": prefix,
        "CALLSTREAM_CONFIG": str(config_file),
        "CALLSTREAM_INGRESS_TOKEN": TOKEN,
        "CALLSTREAM_LOG_LEVEL": args.log_level,
    }
    profile = RESULTS / "ingress-profile.pyisession" if args.profile else None
    print(
        f"ingress: {args.workers} worker(s), log level {args.log_level}, {args.rounds} rounds ...",
        flush=True,
    )
    rounds: list[dict[str, Any]] = []
    with harness.ingress_process(
        env,
        workers=args.workers,
        log_dir=RESULTS,
        profile_path=profile,
    ) as served:
        groups = {"ingress": served.processes()}
        if broker_pid is not None:
            groups["broker"] = [psutil.Process(broker_pid)]
        load = functools.partial(
            harness.load, served.url, connections=args.connections, rate=args.rate, token=TOKEN
        )
        warmup = load(mode="rate", duration_s=2, rate=min(args.rate, 500))
        accepted = int(warmup["accepted"])
        for _ in range(args.rounds):
            # Side by side under the same neighbours: floor, then the ingress, same rate.
            meter = harness.CpuMeter(groups)
            paced = bare.paced(args.rate, args.duration)
            paced["cpu"] = meter.shares()
            fixed = _with_cpu(harness.CpuMeter(groups), load(mode="rate", duration_s=args.duration))
            meter = harness.CpuMeter(groups)
            saturated = _with_cpu(meter, load(mode="saturate", duration_s=args.duration))
            accepted += int(fixed["accepted"]) + int(saturated["accepted"])
            rounds.append({"floor_paced": paced, "fixed_rate": fixed, "saturation": saturated})
    print("the app's own cost per request, in process ...", flush=True)
    report["app_in_process_us"] = {level: harness.app_cost(level) for level in ("INFO", "WARNING")}
    if profile is not None:
        harness.render_profile(profile, RESULTS / "ingress-profile.txt")
        report["profile"] = str(RESULTS / "ingress-profile.txt")
    on_topic = sum(end_offsets(conn, topics.tool_calls).values())
    report["rounds"] = rounds
    report["durability"] = {"answered_202": accepted, "records_on_topic": on_topic}
    report["median"] = {
        "floor_paced_p50_ms": _median([r["floor_paced"]["p50_ms"] for r in rounds]),
        "floor_paced_p99_ms": _median([r["floor_paced"]["p99_ms"] for r in rounds]),
        "fixed_rate_p50_ms": _median([r["fixed_rate"]["p50_ms"] for r in rounds]),
        "fixed_rate_p99_ms": _median([r["fixed_rate"]["p99_ms"] for r in rounds]),
        "fixed_rate_p99_vs_floor": _median(
            [_ratio(r["fixed_rate"]["p99_ms"], r["floor_paced"]["p99_ms"]) for r in rounds]
        ),
        "saturation_acks_per_s": _median([r["saturation"]["accepted_per_s"] for r in rounds]),
        "saturation_p99_ms": _median([r["saturation"]["p99_ms"] for r in rounds]),
        "saturation_vs_floor_flat_out": _median(
            [
                _ratio(r["saturation"]["accepted_per_s"], report["floor"]["flat_out"]["per_s"])
                for r in rounds
            ]
        ),
        "saturation_vs_generator_ceiling": _median(
            [
                _ratio(
                    r["saturation"]["accepted_per_s"], report["generator_ceiling"]["accepted_per_s"]
                )
                for r in rounds
            ]
        ),
        "ingress_cores_at_saturation": _median([r["saturation"]["cpu"]["ingress"] for r in rounds]),
        # Less sensitive to the neighbours than the rate itself: what a core of it buys.
        "saturation_acks_per_ingress_core": _median(
            [
                _ratio(r["saturation"]["accepted_per_s"], r["saturation"]["cpu"]["ingress"])
                for r in rounds
            ]
        ),
        "others_cores_at_saturation": _median([r["saturation"]["cpu"]["others"] for r in rounds]),
        "process_us_per_request_at_saturation": _median(
            [
                1e6 * r["saturation"]["cpu"]["ingress"] / r["saturation"]["accepted_per_s"]
                for r in rounds
                if r["saturation"]["accepted_per_s"]
            ]
        ),
    }
    return report


def _print(report: dict[str, Any]) -> None:
    floor_ = report["floor"]
    ceiling = report["generator_ceiling"]
    print()
    print(
        f"floor, bare producer, one at a time   p50 {floor_['sequential']['p50_ms']} ms, "
        f"p99 {floor_['sequential']['p99_ms']} ms"
    )
    print(f"floor, bare producer, flat out        {floor_['flat_out']['per_s']} acks/s")
    for name, figures in report.get("publishers", {}).items():
        print(
            f"  {name:46} one at a time p50 {figures['sequential']['p50_ms']} ms | "
            f"paced p50/p99 {figures['paced']['p50_ms']}/{figures['paced']['p99_ms']} ms | "
            f"burst {figures['burst']['per_s']}/s"
        )
    print(
        f"load generator ceiling                {ceiling['accepted_per_s']} req/s at "
        f"{ceiling['generator_cpu_share']} core"
    )
    for n, r in enumerate(report["rounds"], 1):
        paced, fixed, sat = r["floor_paced"], r["fixed_rate"], r["saturation"]
        print(
            f"round {n}: floor at {paced['offered_per_s']:g}/s p50/p99 "
            f"{paced['p50_ms']}/{paced['p99_ms']} ms | ingress at {fixed['accepted_per_s']:g}/s "
            f"p50/p99 {fixed['p50_ms']}/{fixed['p99_ms']} ms | saturated "
            f"{sat['accepted_per_s']} acks/s p99 {sat['p99_ms']} ms | cores: {sat['cpu']}"
        )
    median = report["median"]
    print(
        f"median: ingress at {report['settings']['rate']:g}/s p99 {median['fixed_rate_p99_ms']} "
        f"ms (x{median['fixed_rate_p99_vs_floor']} the floor's); saturated "
        f"{median['saturation_acks_per_s']} acks/s (x{median['saturation_vs_floor_flat_out']} the "
        f"bare producer, x{median['saturation_vs_generator_ceiling']} the generator ceiling), "
        f"{median['saturation_acks_per_ingress_core']} acks/s per core the ingress used"
    )
    app = report["app_in_process_us"]
    print(
        f"per request: the process spends {median['process_us_per_request_at_saturation']} us "
        f"of CPU when saturated; the app alone, in process, {app['INFO']} us at INFO, "
        f"{app['WARNING']} us at WARNING"
    )
    durability = report["durability"]
    print(
        f"durability: {durability['answered_202']} answered 202, "
        f"{durability['records_on_topic']} records on the topic"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--rate", type=float, default=1000.0, help="fixed offered rate (req/s)")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections")
    parser.add_argument("--workers", type=int, default=1, help="ingress worker processes")
    parser.add_argument("--burst", type=int, default=30_000, help="records in flat-out floors")
    parser.add_argument(
        "--rounds", type=int, default=3, help="floor + ingress rounds, side by side"
    )
    parser.add_argument("--log-level", default="INFO", help="the ingress's CALLSTREAM_LOG_LEVEL")
    parser.add_argument("--skip-comparison", action="store_true", help="skip AIOProducer vs poll")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the ingress under pyinstrument (with --workers 1)",
    )
    args = parser.parse_args()
    if args.profile and args.workers != 1:
        parser.error("--profile samples one process: use --workers 1")
    RESULTS.mkdir(exist_ok=True)
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None
    with (
        tempfile.TemporaryDirectory(prefix="bench-kafka-") as work,
        provide_broker(
            work_dir=Path(work),
            cache_dir=default_cache_dir(),
            external_bootstrap=external,
            use_docker=False,
        ) as broker,
    ):
        state = read_state(broker.data_dir) if broker.data_dir else None
        pid = state.pid if state else _listening_pid(broker.bootstrap)
        report = run(args, KafkaConnection(broker.bootstrap), pid)
        report["broker"] = broker.description
    out = RESULTS / f"ingress-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2))
    _print(report)
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
