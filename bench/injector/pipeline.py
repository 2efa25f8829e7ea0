"""The injector measured whole: a backlog of injections on Kafka drained into the emulator."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from confluent_kafka import Producer
from pydantic import SecretStr

from bench.injector.floor import injections_for
from bench.injector.measure import CpuMeter
from callstream.config import AppConfig
from callstream.kafka import KafkaConnection, ensure_topics, producer_config
from callstream.records import Delivery, decode, encode
from callstream.settings import Environment, Settings
from callstream.topics import Topics, topic_specs
from devkit.testing.kafka import consume
from injector.main import InjectorApp

PARTITIONS = 12


def _produce_backlog(conn: KafkaConnection, topic: str, calls: list[str], per_call: int) -> int:
    producer = Producer(producer_config(conn, "bench-injector-backlog", {"linger.ms": 20}))
    count = 0
    for seq in range(per_call):
        for call in calls:
            [item] = injections_for(call, 1, f"inj-{seq}")
            while True:
                try:
                    producer.produce(topic, encode(item), call.encode())
                    break
                except BufferError:
                    producer.poll(0.1)
            count += 1
        producer.poll(0)
    if producer.flush(60):
        raise RuntimeError("the backlog was not acknowledged")
    return count


def drain(
    conn: KafkaConnection,
    *,
    base_url: str,
    api_key: str,
    calls: list[str],
    per_call: int,
    emulator_pid: int,
    profile_to: Path | None,
) -> dict[str, Any]:
    """Produce the backlog, run the injector until every outcome is recorded, and measure."""
    topics = Topics(prefix=f"bench{uuid.uuid4().hex[:8]}.")
    ensure_topics(conn, topic_specs(topics, partitions=PARTITIONS, replication_factor=1))
    total = _produce_backlog(conn, topics.injections, calls, per_call)
    settings = Settings(
        env=Environment(
            kafka_bootstrap_servers=conn.bootstrap_servers,
            telnyx_api_key=SecretStr(api_key),
            telnyx_base_url=base_url,
            callstream_topic_prefix=topics.prefix,
            callstream_log_level="WARNING",
        ),
        config=AppConfig.model_validate({"injector": {"ops_port": 0, "max_in_flight": len(calls)}}),
    )
    app = InjectorApp(settings)
    app.prepare()
    own, remote = CpuMeter(os.getpid()), CpuMeter(emulator_pid)

    profiler: Any = None
    if profile_to is not None:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="disabled", interval=0.0005)

    def serve() -> None:
        import uvloop

        with (
            profiler or nullcontext(),
            asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
        ):
            runner.run(app.serve(install_signals=False))

    def delivered() -> float:
        found = app.registry.get_sample_value(
            "callstream_injector_deliveries_total", {"outcome": "delivered"}
        )
        return found or 0.0

    thread = threading.Thread(target=serve, name="bench-injector", daemon=True)
    started = time.perf_counter()
    own.start()
    remote.start()
    thread.start()
    deadline = time.monotonic() + 600
    while delivered() < total and time.monotonic() < deadline:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    own_cpu, remote_cpu = own.stop(), remote.stop()
    app.request_stop()
    thread.join(60)
    app.close()
    if profiler is not None and profile_to is not None:
        profile_to.write_text(profiler.output_html())
        (profile_to.with_suffix(".txt")).write_text(profiler.output_text(show_all=False))
    records = [decode(Delivery, r.value) for r in consume(
        conn, [topics.deliveries], expect=total, timeout_s=120)]  # fmt: skip
    at = sorted(d.at.timestamp() for d in records if d.outcome == "delivered")
    span = at[-1] - at[0] if len(at) > 1 else float("nan")
    return {
        "injections": total,
        "delivered": len(at),
        "delivery_records": len(records),
        "seconds_first_to_last_delivery": span,
        "per_second": (len(at) - 1) / span if span > 0 else float("nan"),
        "seconds_from_start_incl_group_join": elapsed,
        "injector_process_cpu_share": own_cpu,
        "emulator_cpu_share": remote_cpu,
        "machine_cpu_busy": remote.machine_busy,
    }
