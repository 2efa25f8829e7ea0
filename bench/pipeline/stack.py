"""The pipeline under test: ``DevStack`` (every service a real process) plus extra workers.

``bench_config`` is the demo configuration (the reference's two tools on the
demo backends, the three sources) with a tool that has no backend (the
benchmark answers it on ``tool-results``, as an enterprise service would)
and source topics under the run's own prefix, so a re-run on a shared
cluster never reads another run's events. ``BenchStack`` starts it, can add
streams workers and injectors (each its own process and ops port, in a
``ProcessGroup``) and take them away again, and reads the services' metrics.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.pipeline.plan import BENCH_TOOL
from callstream.config import AppConfig
from callstream.config.messages import MessageSpec
from callstream.config.tools import ToolSpec
from callstream.kafka import KafkaConnection
from callstream.settings import Environment, Settings
from callstream.topics import Topics
from devkit.dev.config import demo_config
from devkit.dev.pipeline import DevOptions, DevPorts, DevStack
from devkit.dev.processes import ProcessGroup, ServiceSpec
from devkit.localkafka.broker import free_port

# Variables a developer may have set that would change what the stack runs.
CLEARED = (
    "TELNYX_BASE_URL", "TELNYX_API_KEY", "TELNYX_PUBLIC_KEY", "CALLSTREAM_CONFIG",
    "CALLSTREAM_INGRESS_TOKEN", "CALLSTREAM_TOKEN_CRM", "CALLSTREAM_TOKEN_FRAUD",
    "CALLSTREAM_TOKEN_TICKETING", "CALLSTREAM_TOPIC_PREFIX", "CALLSTREAM_LOG_LEVEL",
)  # fmt: skip


def bench_config(
    prefix: str, *, partitions: int, tool_runner_concurrency: int | None = None
) -> AppConfig:
    """The demo configuration with the benchmark's tool and the run's own source topics
    (and, when given, another tool-runner concurrency than the default)."""
    base = demo_config()
    sources = {
        name: spec.model_copy(update={"topic": f"{prefix}{spec.topic}"})
        for name, spec in base.sources.items()
    }
    tools = dict(base.tools) | {
        BENCH_TOOL: ToolSpec(
            description="answered on tool-results by the benchmark",
            message=MessageSpec(headline="ACCOUNT LOOKUP COMPLETE", trigger_response=True),
        )
    }
    topics = base.topics.model_copy(update={"partitions": partitions})
    streams = base.streams
    if tool_runner_concurrency is not None:
        streams = streams.model_copy(update={"tool_runner_concurrency": tool_runner_concurrency})
    return base.model_copy(
        update={"sources": sources, "tools": tools, "topics": topics, "streams": streams}
    )


@dataclass(frozen=True)
class StackOptions:
    prefix: str
    partitions: int
    lookup_s: float
    log_level: str
    tool_runner_concurrency: int | None = None


class BenchStack:
    """A running pipeline on ``conn``, with everything the benchmark needs to reach it."""

    def __init__(
        self, conn: KafkaConnection, options: StackOptions, env: Mapping[str, str], state: Path
    ) -> None:
        self.options = options
        self.config = bench_config(
            options.prefix,
            partitions=options.partitions,
            tool_runner_concurrency=options.tool_runner_concurrency,
        )
        self.topics = Topics(
            prefix=options.prefix,
            sources={name: spec.topic for name, spec in self.config.sources.items()},
        )
        base_env = {k: v for k, v in env.items() if k not in CLEARED} | {
            "KAFKA_BOOTSTRAP_SERVERS": conn.bootstrap_servers,
            "CALLSTREAM_TOPIC_PREFIX": options.prefix,
            "CALLSTREAM_LOG_LEVEL": options.log_level,
        }
        settings = Settings(
            env=Environment(
                kafka_bootstrap_servers=conn.bootstrap_servers,
                callstream_topic_prefix=options.prefix,
            ),
            config=self.config,
        )
        self.conn = conn
        self._state = state
        self._dev = DevStack(
            settings,
            base_env=base_env,
            state_dir=state,
            options=DevOptions(
                ports=DevPorts.free(),
                orders_delay_s=options.lookup_s,
                loyalty_delay_s=options.lookup_s,
                config=self.config,
            ),
        )
        self._extra = ProcessGroup(state / "logs")
        self._extra_ports: dict[str, list[int]] = {"streams": [], "injector": []}

    def __enter__(self) -> Self:
        self._dev.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove_workers()
        self._dev.__exit__(exc_type, exc, tb)

    # -- where things are --------------------------------------------------------------
    @property
    def ingress_url(self) -> str:
        return self._dev.ingress_url

    @property
    def emulator_url(self) -> str:
        return self._dev.emulator_url

    @property
    def token(self) -> str:
        return self._dev.env["CALLSTREAM_INGRESS_TOKEN"]

    @property
    def api_key(self) -> str:
        return self._dev.env["TELNYX_API_KEY"]

    @property
    def env(self) -> dict[str, str]:
        return dict(self._dev.env)

    def ops_urls(self, service: str) -> list[str]:
        """The metrics endpoints of every running instance of ``streams`` or ``injector``."""
        ports = self._dev.ports
        first = {"streams": ports.streams_ops, "injector": ports.injector_ops}[service]
        return [f"http://127.0.0.1:{p}/metrics" for p in [first, *self._extra_ports[service]]]

    def pids(self) -> dict[str, list[int]]:
        """Process ids by service name (extra workers under their service's name)."""
        found: dict[str, list[int]] = {}
        for running in [*self._dev.running, *self._extra.running]:
            name = running.spec.name.split("-", 1)[0]
            found.setdefault(name, []).append(running.process.pid)
        return found

    def dead(self) -> list[str]:
        return [r.spec.name for r in [*self._dev.exited(), *self._extra.exited()]]

    # -- scaling -----------------------------------------------------------------------
    def add_workers(self, *, streams: int, injectors: int) -> None:
        """Start more streams workers and injectors, and wait until each is ready."""
        env = self._dev.env
        me = [sys.executable, "-m", "callstream_cli"]
        started = []
        for n in range(streams):
            port = free_port()
            data = self._state / f"streams-extra-{n}"
            argv = [*me, "streams", "--data-dir", str(data), "--ops-port", str(port)]
            ready = f"http://127.0.0.1:{port}/readyz"
            started.append(self._extra.start(ServiceSpec(f"streams-{n + 2}", argv, env, ready)))
            self._extra_ports["streams"].append(port)
        for n in range(injectors):
            port = free_port()
            argv = [*me, "injector", "--ops-port", str(port)]
            ready = f"http://127.0.0.1:{port}/readyz"
            started.append(self._extra.start(ServiceSpec(f"injector-{n + 2}", argv, env, ready)))
            self._extra_ports["injector"].append(port)
        for running in started:
            self._extra.wait_ready(running, timeout_s=180)

    def remove_workers(self) -> None:
        """Stop the extra workers (SIGTERM: each leaves its group, handing its partitions back)."""
        self._extra.stop_all()
        self._extra_ports = {"streams": [], "injector": []}

    def ready(self) -> bool:
        """Every streams worker and injector answers its readiness probe."""
        urls = [u.replace("/metrics", "/readyz") for s in ("streams", "injector") for u in
                self.ops_urls(s)]  # fmt: skip
        with httpx.Client(timeout=5) as client:
            for url in urls:
                try:
                    if client.get(url).status_code != 200:
                        return False
                except httpx.HTTPError:
                    return False
        return True

    # -- metrics -------------------------------------------------------------------------
    def metric(self, service: str, name: str, **labels: str) -> float:
        """The sum of a metric's samples over every instance of ``service``."""
        total = 0.0
        with httpx.Client(timeout=10) as client:
            for url in self.ops_urls(service):
                with contextlib.suppress(httpx.HTTPError):
                    total += sum_samples(client.get(url).text, name, labels)
        return total


def sum_samples(text: str, name: str, labels: Mapping[str, str]) -> float:
    """The sum of the samples named ``name`` whose labels include ``labels`` (pure)."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )
