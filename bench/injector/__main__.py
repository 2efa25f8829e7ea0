"""``python -m bench.injector``: the injector's throughput and latency beside the raw client's.

For each remote latency (0 ms and 100 ms by default), with 1,000 live calls at
the emulator (its own process, on devkit's ``Stack``):

1. floor: the injector's HTTP client alone, one sequential sender per call
   (aiohttp, the stack the injector uses; and httpx's pool, briefly, for the
   choice between them);
2. injector: the same number of messages as a backlog on Kafka, drained by the
   injector (in this process, uvloop), every outcome recorded to Kafka.

Throughput is deliveries per second; latency is the gap between consecutive
deliveries of one call at the emulator (one message in flight per call), the
same measure for floor and injector. The emulator's CPU share is reported so a
saturated emulator is never mistaken for a slow injector. Writes JSON to
bench/results/. Loopback only; its own broker unless KAFKA_BOOTSTRAP_SERVERS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.injector.floor import hammer
from bench.injector.measure import CpuMeter, lane_gaps
from bench.injector.pipeline import drain
from callstream.kafka import KafkaConnection
from callstream.logs import configure_logging
from callstream.paths import default_cache_dir
from devkit.dev.config import without_developer_settings
from devkit.emulator import EmulatorControl
from devkit.stack import Running, Stack, services
from devkit.stats import percentile
from devkit.testing.broker import provide_broker

KEY = "KEY-bench-injector-000001"
RESULTS = Path(__file__).resolve().parent.parent / "results"


def _latency_summary(gaps: list[float]) -> dict[str, float]:
    def ms(share: float) -> float:
        found = percentile(gaps, share)
        return float("nan") if found is None else found * 1000

    return {"p50_ms": ms(0.50), "p99_ms": ms(0.99)}


def _floor(
    emulator: Running,
    control: EmulatorControl,
    args: argparse.Namespace,
    *,
    http_client: str,
    per_call: int,
    deadline_s: float,
) -> dict[str, Any]:
    calls = [control.start_call() for _ in range(args.calls)]
    meter, own = CpuMeter(emulator.pid), CpuMeter(os.getpid())
    meter.start()
    own.start()
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        result = runner.run(
            hammer(
                base_url=emulator.service.url("/v2"),
                api_key=KEY,
                calls=calls,
                per_call=per_call,
                http_client=http_client,  # type: ignore[arg-type]
                deadline_s=deadline_s,
            )
        )
    result["client_process_cpu_share"] = own.stop()
    result["emulator_cpu_share"] = meter.stop()
    result["machine_cpu_busy"] = meter.machine_busy
    latencies = result.pop("request_latencies")
    result["request_latency"] = _latency_summary(latencies)
    result["delivery_gap"] = _latency_summary(lane_gaps([control.transcript(c) for c in calls]))
    return result


def run(args: argparse.Namespace, conn: KafkaConnection) -> dict[str, Any]:
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "calls": args.calls,
        "messages_per_call": args.per_call,
        "cpus": os.cpu_count(),
        "runs": [],
    }
    for latency_ms in args.latencies:
        env = without_developer_settings(os.environ) | {"TELNYX_API_KEY": KEY}
        with Stack(RESULTS / "logs") as stack:
            emulator = stack.start(services.emulator(env, latency_ms=latency_ms))
            control = EmulatorControl(emulator.service.url())
            httpx_floor = _floor(
                emulator, control, args, http_client="httpx", per_call=2,
                deadline_s=args.httpx_seconds,
            )  # fmt: skip
            # Floor and injector alternate, so a neighbour's burst on this shared
            # machine hits both alike; the median of the repeats is reported.
            for repeat in range(args.repeat):
                floor = _floor(
                    emulator, control, args, http_client="aiohttp", per_call=args.per_call,
                    deadline_s=120,
                )  # fmt: skip
                calls = [control.start_call() for _ in range(args.calls)]
                profile = (
                    RESULTS / f"injector-profile-{latency_ms}ms.html"
                    if args.profile and repeat == 0
                    else None
                )
                pipeline = drain(
                    conn,
                    base_url=emulator.service.url("/v2"),
                    api_key=KEY,
                    calls=calls,
                    per_call=args.per_call,
                    emulator_pid=emulator.pid,
                    profile_to=profile,
                )
                transcripts = [control.transcript(c) for c in calls]
                pipeline["delivery_gap"] = _latency_summary(lane_gaps(transcripts))
                pipeline["exactly_once"] = all(
                    len(t["injected"]) == args.per_call for t in transcripts
                )
                control.clear_calls()
                report["runs"].append(
                    {
                        "remote_latency_ms": latency_ms,
                        "repeat": repeat,
                        "floor_aiohttp": floor,
                        "floor_httpx": httpx_floor,
                        "injector": pipeline,
                        "ratio_to_floor": pipeline["per_second"] / floor["per_second"],
                    }
                )
            control.close()
    for latency_ms in args.latencies:
        runs = [r for r in report["runs"] if r["remote_latency_ms"] == latency_ms]
        report.setdefault("medians", {})[str(latency_ms)] = {
            "floor_per_second": statistics.median(r["floor_aiohttp"]["per_second"] for r in runs),
            "injector_per_second": statistics.median(r["injector"]["per_second"] for r in runs),
            "ratio_to_floor": statistics.median(r["ratio_to_floor"] for r in runs),
            "ratio_range": [
                min(r["ratio_to_floor"] for r in runs),
                max(r["ratio_to_floor"] for r in runs),
            ],
        }
    return report


def _print(report: dict[str, Any]) -> None:
    print(f"injector benchmark, {report['calls']} calls x {report['messages_per_call']} messages")
    for run_ in report["runs"]:
        floor, httpx_floor, inj = run_["floor_aiohttp"], run_["floor_httpx"], run_["injector"]
        print(f"\nremote latency {run_['remote_latency_ms']} ms, repeat {run_['repeat']}")
        for name, part in (
            ("floor aiohttp", floor),
            ("floor httpx", httpx_floor),
            ("injector", inj),
        ):
            gap = part["delivery_gap"]
            print(
                f"  {name:14s} {part['per_second']:8.0f}/s   p50 {gap['p50_ms']:7.1f} ms"
                f"   p99 {gap['p99_ms']:7.1f} ms   emulator CPU {part['emulator_cpu_share']:.0%}"
                f"   machine busy {part['machine_cpu_busy']:.0%}"
            )
        print(f"  injector / floor: {run_['ratio_to_floor']:.0%}; "
              f"floor client CPU {floor['client_process_cpu_share']:.0%}; "
              f"injector process CPU {inj['injector_process_cpu_share']:.0%}; "
              f"exactly once at the emulator: {inj['exactly_once']}")  # fmt: skip
    for latency, median in report["medians"].items():
        low, high = median["ratio_range"]
        print(
            f"\nmedian at {latency} ms: injector {median['injector_per_second']:.0f}/s, "
            f"floor {median['floor_per_second']:.0f}/s, ratio {median['ratio_to_floor']:.0%} "
            f"(range {low:.0%}-{high:.0%})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.injector", description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--per-call", type=int, default=20)
    parser.add_argument("--latencies", type=int, nargs="+", default=[0, 100])
    parser.add_argument(
        "--httpx-seconds", type=float, default=10.0, help="cap on the (slow) httpx floor"
    )
    parser.add_argument("--repeat", type=int, default=3, help="floor+injector pairs per latency")
    parser.add_argument("--profile", action="store_true", help="pyinstrument HTML per run")
    args = parser.parse_args()
    configure_logging(level="WARNING", fmt="console")
    RESULTS.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as work,
        provide_broker(
            work_dir=Path(work),
            cache_dir=Path(os.environ.get("CALLSTREAM_CACHE_DIR") or default_cache_dir()),
            external_bootstrap=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            use_docker=False,
        ) as broker,
    ):
        report = run(args, KafkaConnection(bootstrap_servers=broker.bootstrap))
        report["broker"] = broker.description
    report["note"] = "shared, noisy 2-core machine; loopback only"
    out = RESULTS / f"injector-{int(time.time())}.json"
    out.write_text(json.dumps(report, indent=2))
    _print(report)
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
