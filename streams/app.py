"""``create_faust_app``: the streams worker's faust app, built from settings (never at import).

What it wires together:

* the ``calls`` and ``index`` tables (in-memory stores backed by compacted
  changelogs; values are compact JSON bytes);
* the join agent over every co-partitioned topic (``agents.join``);
* the source agent over the enterprise topics (``agents.sources``);
* the tool-runner agent, ``tool_runner_concurrency`` requests at once (``agents.runner``);
* a timer that sends a clock tick to each partition of ``streams.ticks`` this
  worker owns, so expiry is decided by the join agent on the partition where
  the state lives (a table can only be changed by the worker that owns the
  key's partition, in order with everything else about that key).

faust's own web server is off: probes and metrics are served by
``callstream.ops.OpsServer``. Two faust defects that lose records around a
rebalance are worked around: the table manager recovers with
``streams.recovery.SeekFirstRecovery`` and the consumer is
``streams.transport``'s. Processing is at-least-once; ``agents.join``
explains why that, with deterministic ids, loses nothing and how repeats are
absorbed. Every agent crashes the worker on an unexpected error rather than
carry on without its outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust
from mode import CrashingSupervisor

from callstream.kafka import KafkaConnection
from callstream.ops import Health
from callstream.settings import Settings
from streams.agents.join import JoinAgent
from streams.agents.runner import RunnerAgent
from streams.agents.send import OutputSender
from streams.agents.sources import SourceAgent
from streams.agents.tables import StateTables
from streams.batch import BatchDecider
from streams.decide.rules import Rules
from streams.kafka import broker_urls, credentials
from streams.metrics import StreamsMetrics
from streams.recovery import TableManager
from streams.state.deadlines import Deadlines
from streams.toolrunner.http import AiohttpBackendClient, BackendClient
from streams.toolrunner.runner import ToolRunner
from streams.transport import App
from streams.wire import Wire

_RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}


@dataclass
class StreamsApp:
    """The faust app and the parts a caller (the worker, a test) may want to reach."""

    app: faust.App
    join: JoinAgent
    http: BackendClient


def app_id(settings: Settings) -> str:
    """The faust app id, also the consumer group and the prefix of the changelog topics."""
    return f"{settings.topics.prefix}streams"


def create_faust_app(
    settings: Settings,
    *,
    conn: KafkaConnection,
    partitions: int,
    data_dir: Path,
    metrics: StreamsMetrics,
    health: Health,
    backends: BackendClient | None = None,
) -> StreamsApp:
    """Build the worker's faust app for ``partitions`` co-partitioned partitions (``backends``:
    how the tool runner reaches its backends, aiohttp unless a test gives another)."""
    config = settings.config
    streams = config.streams
    topics = settings.topics
    rules = Rules.from_config(config)
    app = App(
        app_id(settings),
        broker=broker_urls(conn),
        broker_credentials=credentials(conn),
        store="memory://",
        processing_guarantee="at_least_once",
        autodiscover=False,
        web_enabled=False,
        datadir=str(data_dir),
        topic_partitions=partitions,
        topic_replication_factor=config.topics.replication_factor,
        table_standby_replicas=streams.standby_replicas,
        broker_session_timeout=streams.session_timeout_s,
        broker_heartbeat_interval=min(3.0, streams.session_timeout_s / 3),
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        # Without a linger every output is its own produce request: under load the
        # worker spent more time in socket.send than in its own decisions.
        producer_linger=streams.producer_linger_s,
        TableManager=TableManager,
    )
    tables = {
        name: app.Table(
            name,
            default=None,
            partitions=partitions,
            use_partitioner=True,
            help=description,
            key_type=bytes,  # bytes keys and values: faust's "raw" codec, no (de)serialising
            value_type=bytes,
        )
        for name, description in (
            ("calls", "call registry, pending requests, held inputs, seen ids (by call id)"),
            ("index", "correlation key -> calls, and source events waiting (by key)"),
        )
    }
    state = StateTables(tables, rules)  # type: ignore[arg-type]
    deadlines = Deadlines(partitions)
    wire = Wire(topics, partitions)
    sender = OutputSender(app.maybe_start_producer, wire, metrics)
    decider = BatchDecider(rules, topics, partitions, deadlines.due)

    def owned() -> set[int]:
        return {
            tp.partition for tp in app.consumer.assignment() if tp.topic == topics.streams_ticks
        }

    async def learn_changelogs() -> None:
        # faust places a table write on its changelog partition with key_partition,
        # which reads the producer's metadata cache without ever filling it. On a
        # fresh deployment faust creates the changelogs moments before, the cache may
        # not hold them yet, and the first write crashed the worker ("'NoneType'
        # object is not iterable"). Asking for their partitions fills the cache.
        producer = (await app.maybe_start_producer())._ensure_producer()
        for table in tables.values():
            await producer.partitions_for(table.changelog_topic.get_topic_name())

    join = JoinAgent(
        decider=decider,
        tables=state,
        deadlines=deadlines,
        sender=sender,
        metrics=metrics,
        health=health,
        ticks_topic=topics.streams_ticks,
        generation=lambda: int(app.consumer_generation_id),
        owned=owned,
        batch_max=streams.batch_max_events,
        batch_window_s=streams.batch_window_s,
        prepare=learn_changelogs,
    )
    app.agent(
        app.topic(*decider.topics, **_RAW), name="join", supervisor_strategy=CrashingSupervisor
    )(join)

    if topics.sources:
        sources = SourceAgent(
            rules=rules,
            source_of_topic={topic: name for name, topic in topics.sources.items()},
            sender=sender,
            metrics=metrics,
            batch_max=streams.batch_max_events,
            batch_window_s=streams.batch_window_s,
        )
        app.agent(
            app.topic(*sorted(set(topics.sources.values())), **_RAW),
            name="sources",
            supervisor_strategy=CrashingSupervisor,
        )(sources)

    http = backends or AiohttpBackendClient(concurrency=streams.tool_runner_concurrency)
    runner = RunnerAgent(
        runner=ToolRunner(
            http,
            concurrency=streams.tool_runner_concurrency,
            max_response_bytes=streams.tool_response_max_bytes,
        ),
        rules=rules,
        results_topic=topics.tool_results,
        sender=sender,
        metrics=metrics,
        concurrency=streams.tool_runner_concurrency,
    )
    app.agent(
        app.topic(topics.streams_tool_runs, **_RAW),
        name="tool-runner",
        supervisor_strategy=CrashingSupervisor,
    )(runner)

    async def tick(*_: object) -> None:
        producer = await app.maybe_start_producer()
        for partition in sorted(owned()):
            await producer.send(topics.streams_ticks, None, b"", partition, None, None)

    app.timer(streams.tick_interval_s, name="ticks")(tick)

    async def close_http(*_: object, **__: object) -> None:
        await http.aclose()

    app.on_before_shutdown.connect(close_http)
    return StreamsApp(app=app, join=join, http=http)
