"""``python -m bench.ingress``: accepted webhooks/s and ack latency of the ingress, and the floor.

Phases, all on one broker (``KAFKA_BOOTSTRAP_SERVERS``, else a local one
started for the run) and loopback only, each bounded in time:

1. floor: a bare confluent-kafka producer with the ingress's settings,
   one record at a time, at the offered rate, and flat out;
2. publisher comparison: AIOProducer against Producer + polling thread;
3. load-generator ceiling: the generator against a do-nothing HTTP server;
4. the ingress (``callstream ingress`` as a real process): a fixed offered
   rate, then saturation; every 202 is then counted on the topic.

Writes bench/results/ingress-<time>.json and prints the figures with ratios.
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

import psutil
import uvloop
from confluent_kafka import KafkaException

from bench.ingress import floor, harness
from callstream.config import AppConfig
from callstream.kafka import KafkaConnection, ensure_topics
from callstream.localkafka.broker import read_state
from callstream.paths import default_cache_dir
from callstream.testing.broker import provide_broker
from callstream.testing.kafka import end_offsets
from callstream.topics import Topics, TopicSpec, topic_specs
from ingress.kafka_publisher import ingress_producer_config

TOKEN = "bench-token-0123456789"  # noqa: S105 - a throw-away token on loopback
RESULTS = Path(__file__).resolve().parents[1] / "results"


def _ratio(numerator: Any, denominator: Any) -> float | None:
    if not numerator or not denominator:
        return None
    return round(float(numerator) / float(denominator), 2)


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


def run(args: argparse.Namespace, conn: KafkaConnection, broker_pid: int | None) -> dict[str, Any]:
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    topics = Topics(prefix=prefix)
    partitions = AppConfig().topics.partitions
    floor_topic, publishers_topic = f"{prefix}floor", f"{prefix}publishers"
    specs = topic_specs(topics, partitions=partitions, replication_factor=1)
    specs += [TopicSpec(name, partitions, 1) for name in (floor_topic, publishers_topic)]
    ensure_topics(conn, specs)
    _wait_for_topics(conn, [spec.name for spec in specs])
    producer = ingress_producer_config(conn, AppConfig().ingress, client_id="bench-floor")
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": psutil.cpu_count(), "load_avg_at_start": os.getloadavg()},
        "settings": vars(args) | {"partitions": partitions},
    }

    print(f"floor: bare producer on {conn.bootstrap_servers} ...", flush=True)
    report["floor"] = floor.raw_floor(
        producer,
        topics.dlq,
        rate=args.rate,
        duration_s=args.duration,
        burst=args.burst,
    )
    if not args.skip_comparison:
        print("publisher comparison: AIOProducer vs Producer + poll thread ...", flush=True)
        report["publishers"] = uvloop.run(
            floor.compare_publishers(
                producer,
                topics.injections,
                rate=args.rate,
                duration_s=min(args.duration, 5.0),
                burst=min(args.burst, 10_000),
            )
        )

    print("load generator ceiling (against a do-nothing server) ...", flush=True)
    with harness.null_server() as null:
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
    profile = RESULTS / "ingress-profile.html" if args.profile else None
    print(f"ingress: {args.workers} worker(s), log level {args.log_level} ...", flush=True)
    with harness.ingress_process(
        env,
        workers=args.workers,
        log_path=RESULTS / "ingress-bench-server.log",
        profile_path=profile,
    ) as served:
        groups = {"ingress": served.processes()}
        if broker_pid is not None:
            groups["broker"] = [psutil.Process(broker_pid)]
        warmup = harness.load(
            served.url,
            mode="rate",
            duration_s=2,
            connections=args.connections,
            rate=min(args.rate, 500),
            token=TOKEN,
        )
        meter = harness.CpuMeter(groups)
        fixed = harness.load(
            served.url,
            mode="rate",
            duration_s=args.duration,
            connections=args.connections,
            rate=args.rate,
            token=TOKEN,
        )
        fixed["cpu"] = meter.shares()
        meter = harness.CpuMeter(groups)
        saturated = harness.load(
            served.url,
            mode="saturate",
            duration_s=args.duration,
            connections=args.connections,
            rate=args.rate,
            token=TOKEN,
        )
        saturated["cpu"] = meter.shares()
    accepted = sum(int(phase["accepted"]) for phase in (warmup, fixed, saturated))
    on_topic = sum(end_offsets(conn, topics.tool_calls).values())
    report["ingress"] = {
        "fixed_rate": fixed,
        "saturation": saturated,
        "durability": {"answered_202": accepted, "records_on_topic": on_topic},
    }
    base = report["floor"]
    report["ratios"] = {
        "fixed_rate_p50_vs_floor_paced": _ratio(fixed["p50_ms"], base["paced"]["p50_ms"]),
        "fixed_rate_p99_vs_floor_paced": _ratio(fixed["p99_ms"], base["paced"]["p99_ms"]),
        "saturation_rate_vs_floor_flat_out": _ratio(
            saturated["accepted_per_s"], base["saturation"]["per_s"]
        ),
        "saturation_rate_vs_generator_ceiling": _ratio(
            saturated["accepted_per_s"], report["generator_ceiling"]["accepted_per_s"]
        ),
    }
    return report


def _print(report: dict[str, Any]) -> None:
    floor_ = report["floor"]
    fixed = report["ingress"]["fixed_rate"]
    sat = report["ingress"]["saturation"]
    ceiling = report["generator_ceiling"]
    ratios = report["ratios"]
    print()
    print(
        f"floor, bare producer   sequential p50 {floor_['sequential']['p50_ms']} ms, "
        f"p99 {floor_['sequential']['p99_ms']} ms"
    )
    print(
        f"floor at {floor_['paced']['offered_per_s']:g}/s        p50 "
        f"{floor_['paced']['p50_ms']} ms, p99 {floor_['paced']['p99_ms']} ms"
    )
    print(f"floor flat out         {floor_['saturation']['per_s']} acks/s")
    for name, figures in report.get("publishers", {}).items():
        print(
            f"  {name:46} seq p50 {figures['sequential']['p50_ms']} ms | "
            f"paced p99 {figures['paced']['p99_ms']} ms | burst {figures['burst']['per_s']}/s"
        )
    print(
        f"generator ceiling      {ceiling['accepted_per_s']} req/s "
        f"(generator CPU {ceiling['generator_cpu_share']} core)"
    )
    print(
        f"ingress at {fixed['accepted_per_s']:g}/s       p50 {fixed['p50_ms']} ms, "
        f"p99 {fixed['p99_ms']} ms  (x{ratios['fixed_rate_p99_vs_floor_paced']} the floor's p99)"
        f"  cpu {fixed['cpu']}"
    )
    print(
        f"ingress saturated      {sat['accepted_per_s']} acks/s, p50 {sat['p50_ms']} ms, "
        f"p99 {sat['p99_ms']} ms  (x{ratios['saturation_rate_vs_floor_flat_out']} the floor, "
        f"x{ratios['saturation_rate_vs_generator_ceiling']} the generator ceiling)  "
        f"cpu {sat['cpu']}  generator cpu {sat['generator_cpu_share']}"
    )
    durability = report["ingress"]["durability"]
    print(
        f"durability             {durability['answered_202']} answered 202, "
        f"{durability['records_on_topic']} records on the topic"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--rate", type=float, default=1000.0, help="fixed offered rate (req/s)")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections")
    parser.add_argument("--workers", type=int, default=1, help="ingress worker processes")
    parser.add_argument("--burst", type=int, default=30_000, help="records in flat-out floors")
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
        report = run(args, KafkaConnection(broker.bootstrap), state.pid if state else None)
        report["broker"] = broker.description
    out = RESULTS / f"ingress-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2))
    _print(report)
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
