"""The pipeline under test: devkit's ``LocalPipeline`` (every service a real process) configured
for the benchmark.

``bench_config`` is the demo configuration under the run's own prefix
(``prefixed_config``: the reference's two tools on the demo backends, the
three sources, their topics prefixed so a re-run on a shared cluster never
reads another run's events) with a tool that has no backend (the benchmark
answers it on ``tool-results``, as an enterprise service would), unpaced: the
load sends each call more than the per-call rate limit lets through, and
matches every event to its own delivery (quoting and caps stay on).
``bench_pipeline`` builds the pipeline; its ``stack`` adds and removes
workers and reads their metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.pipeline.plan import BENCH_TOOL
from callstream.config import AppConfig
from callstream.config.messages import MessageSpec
from callstream.config.services import ProcessingGuarantee
from callstream.config.tools import ToolSpec
from callstream.kafka import KafkaConnection
from callstream.settings import Environment, Settings
from devkit.dev.config import prefixed_config, unpaced, without_developer_settings
from devkit.dev.pipeline import DevOptions, DevPorts, LocalPipeline


def bench_config(
    prefix: str,
    *,
    partitions: int,
    tool_runner_concurrency: int | None = None,
    processing_guarantee: ProcessingGuarantee | None = None,
) -> AppConfig:
    """The demo configuration with the benchmark's tool and the run's own source topics
    (and, when given, another tool-runner concurrency or processing guarantee than the
    default)."""
    base = unpaced(prefixed_config(prefix, partitions=partitions))
    tools = dict(base.tools) | {
        BENCH_TOOL: ToolSpec(
            description="answered on tool-results by the benchmark",
            message=MessageSpec(headline="ACCOUNT LOOKUP COMPLETE", trigger_response=True),
        )
    }
    streams = base.streams
    if tool_runner_concurrency is not None:
        streams = streams.model_copy(update={"tool_runner_concurrency": tool_runner_concurrency})
    if processing_guarantee is not None:
        streams = streams.model_copy(update={"processing_guarantee": processing_guarantee})
    return base.model_copy(update={"tools": tools, "streams": streams})


@dataclass(frozen=True)
class StackOptions:
    prefix: str
    partitions: int
    lookup_s: float
    log_level: str
    tool_runner_concurrency: int | None = None
    processing_guarantee: ProcessingGuarantee | None = None


def bench_pipeline(
    conn: KafkaConnection, options: StackOptions, env: Mapping[str, str], state: Path
) -> LocalPipeline:
    """The whole pipeline on ``conn`` under ``options.prefix``, on free ports."""
    config = bench_config(
        options.prefix,
        partitions=options.partitions,
        tool_runner_concurrency=options.tool_runner_concurrency,
        processing_guarantee=options.processing_guarantee,
    )
    base_env = without_developer_settings(env) | {
        "KAFKA_BOOTSTRAP_SERVERS": conn.bootstrap_servers,
        "CALLSTREAM_TOPIC_PREFIX": options.prefix,
        "CALLSTREAM_LOG_LEVEL": options.log_level,
    }
    settings = Settings(
        env=Environment(
            kafka_bootstrap_servers=conn.bootstrap_servers,
            callstream_topic_prefix=options.prefix,
        ),
        config=config,
    )
    return LocalPipeline(
        settings,
        base_env=base_env,
        state_dir=state,
        options=DevOptions(
            ports=DevPorts.free(),
            orders_delay_s=options.lookup_s,
            loyalty_delay_s=options.lookup_s,
            config=config,
            console=False,
        ),
    )
