"""The whole pipeline on this machine: what ``callstream dev`` runs and ``callstream demo`` plays.

``LocalPipeline`` is a context manager. Entering it starts the local broker
(unless ``KAFKA_BOOTSTRAP_SERVERS`` names one), creates the topics, writes
the configuration the services share, starts every service as a real process
on the one ``Stack`` (the demo backends; the call-control emulator when
``TELNYX_BASE_URL`` is unset; streams; injector; ingress; console), each on the port
the ``DevPorts`` name, and waits until each answers its readiness probe. The
fault suite, the benchmark and the end-to-end tests run the same pipeline and
reach its processes through ``stack`` (kill, restart, add workers, measure).
Leaving it stops everything it started, newest first, and the broker only if
this pipeline started it.

Secrets for the local run (the emulator's API key and signing key, the
ingress token) are generated per run unless the environment sets them, handed
to the children through their environment, and written for the user to
``source`` into a mode-0600 file — never printed, never logged.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

import yaml
from pydantic import HttpUrl

from callstream.config import AppConfig
from callstream.kafka import (
    KafkaConnection,
    delete_topics,
    ensure_topics,
    resolve_connection,
    wait_for_broker,
)
from callstream.settings import Settings
from callstream.topics import Topics, topic_specs
from devkit.dev.config import demo_config
from devkit.dev.player import Target
from devkit.emulator.webhooks import WebhookSigner
from devkit.errors import DevStackError
from devkit.localkafka import JarCache, LocalBroker
from devkit.localkafka.broker import DEFAULT_PORT
from devkit.stack import Running, Service, Stack, free_port, port_in_use, services

Progress = Callable[[str], None]

READY_TIMEOUT_S = 120.0
DEMO_BACKENDS_URL = "http://127.0.0.1:8100"


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class DevPorts:
    """Where each local service listens."""

    ingress: int = 8000
    streams_ops: int = 8001
    injector_ops: int = 8002
    emulator: int = 8090
    backends: int = 8100
    console: int = 8003

    @classmethod
    def free(cls) -> DevPorts:
        """Free ports for every service (tests, and a demo that must not collide)."""
        return cls(*(free_port() for _ in range(6)))

    def named(self) -> dict[str, int]:
        return {
            "ingress": self.ingress,
            "streams (ops)": self.streams_ops,
            "injector (ops)": self.injector_ops,
            "emulator": self.emulator,
            "backends": self.backends,
            "console": self.console,
        }


@dataclass(frozen=True)
class DevOptions:
    """What the stack runs beyond the three services."""

    ports: DevPorts = field(default_factory=DevPorts)
    orders_delay_s: float = 2.0
    loyalty_delay_s: float = 1.0
    config: AppConfig | None = None
    """Run with this configuration; None: CALLSTREAM_CONFIG's, else the packaged demo's."""
    own_broker: bool = False
    """Without ``KAFKA_BOOTSTRAP_SERVERS``: start a broker of this run's own in the state dir,
    on a free port, rather than use (or start) the one in the user's Kafka data dir."""
    topic_prefix: str | None = None
    """Run under this topic prefix; None: the settings' (``CALLSTREAM_TOPIC_PREFIX``)."""
    drop_topics: bool = False
    """Delete, when leaving, the topics this run created (on a cluster that outlives it)."""
    console: bool = True
    """Run the console too; runs that measure or break the pipeline leave it out (it reads
    every topic, and would be load and a process beside what they measure)."""
    service_env: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Variables for one service only, by kind (``ingress``, ``streams``, ``injector``): each
    service's own Kafka credentials, as on a cluster with ACLs."""


def stack_config(config: AppConfig, ports: DevPorts) -> AppConfig:
    """``config`` with the stack's ports filled in (pure).

    A tool backend at the demo backends' default address is moved to the port
    the stack starts the demo backends on; other backends are left alone.
    """
    tools = dict(config.tools)
    for name, spec in config.tools.items():
        if spec.backend is not None and str(spec.backend.url).startswith(DEMO_BACKENDS_URL):
            path = str(spec.backend.url).removeprefix(DEMO_BACKENDS_URL)
            url = HttpUrl(f"http://127.0.0.1:{ports.backends}{path}")
            backend = spec.backend.model_copy(update={"url": url})
            tools[name] = spec.model_copy(update={"backend": backend})
    return config.model_copy(
        update={
            "tools": tools,
            "ingress": config.ingress.model_copy(update={"port": ports.ingress}),
            "streams": config.streams.model_copy(update={"ops_port": ports.streams_ops}),
            "injector": config.injector.model_copy(update={"ops_port": ports.injector_ops}),
        }
    )


class LocalPipeline:
    """Every callstream service, the broker and the remote, running locally."""

    def __init__(
        self,
        settings: Settings,
        *,
        base_env: Mapping[str, str],
        state_dir: Path,
        options: DevOptions | None = None,
        progress: Progress = _quiet,
    ) -> None:
        self._settings = settings
        self._base_env = dict(base_env)
        self.state_dir = state_dir
        self.options = options or DevOptions()
        self.ports = self.options.ports
        self._progress = progress
        self.stack = Stack(state_dir / "logs", progress)
        self._broker: LocalBroker | None = None
        # The emulator plays the remote unless the user named a real one.
        self.uses_emulator = not base_env.get("TELNYX_BASE_URL")
        self._conn: KafkaConnection | None = None
        self._config: AppConfig | None = None
        self._created_topics: list[str] = []
        self.env: dict[str, str] = {}
        """The services' environment (it holds the run's secrets: never print it)."""

    # -- addresses -------------------------------------------------------------
    @property
    def ingress_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.ingress}"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.emulator}"

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.console}"

    @property
    def console_token(self) -> str:
        """The console's read token."""
        return self.env["CALLSTREAM_CONSOLE_TOKEN"]

    @property
    def env_file(self) -> Path:
        return self.state_dir / "env"

    @property
    def conn(self) -> KafkaConnection:
        """The broker the services use."""
        if self._conn is None:
            raise DevStackError("the pipeline is not running: enter it first")
        return self._conn

    @property
    def config(self) -> AppConfig:
        """The configuration the services run with."""
        if self._config is None:
            raise DevStackError("the pipeline is not running: enter it first")
        return self._config

    @property
    def token(self) -> str:
        """The ingress's bearer token."""
        return self.env["CALLSTREAM_INGRESS_TOKEN"]

    @property
    def topics(self) -> Topics:
        """The topics the services use (the prefix, and the configured sources' topics)."""
        sources = {name: spec.topic for name, spec in self.config.sources.items()}
        prefix = self.options.topic_prefix or self._settings.topics.prefix
        return Topics(prefix=prefix, sources=sources)

    @property
    def target(self) -> Target:
        """What a scenario player or a load driver needs to reach the running pipeline."""
        return Target(
            ingress_url=self.ingress_url,
            emulator_url=self.emulator_url,
            token=self.token,
            conn=self.conn,
            topics=self.topics,
        )

    # -- lifecycle ---------------------------------------------------------------
    def __enter__(self) -> Self:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stack.stop_all()
        if self.options.drop_topics and self._created_topics and self._conn is not None:
            self._progress(f"deleting the {len(self._created_topics)} topics this run created")
            delete_topics(self._conn, self._created_topics)
            self._created_topics = []
        if self._broker is not None:
            self._progress("stopping the local Kafka broker this run started")
            self._broker.stop()
            self._broker = None

    def exited(self) -> list[Running]:
        """Services that stopped on their own (the dev loop watches this)."""
        return self.stack.exited()

    # -- more workers ---------------------------------------------------------------
    def add_streams_worker(self, name: str) -> Running:
        """A further streams worker in the same group, under its own worker id and ops port."""
        return self.stack.start(services.streams(self.env, name=name))

    def add_injector(self, name: str) -> Running:
        """A further injector in the same group, with its own ops port."""
        return self.stack.start(services.injector(self.env, name=name))

    def _start(self) -> None:
        self._conn = self._kafka()
        self._config = self._configuration()
        config_path = self.state_dir / "config.yaml"
        config_path.write_text(yaml.safe_dump(self.config.model_dump(mode="json"), sort_keys=False))
        report = ensure_topics(
            self.conn,
            topic_specs(
                self.topics,
                partitions=self.config.topics.partitions,
                replication_factor=self.config.topics.replication_factor,
            ),
        )
        self._created_topics = report.created
        self._progress(f"topics: {len(report.created)} created, {len(report.existing)} existed")
        self.env = self._child_env(config_path)
        self._write_env_file()
        for service in self._services():
            self.stack.start(service, wait=False)
        for running in self.stack.running:
            self._progress(f"waiting for {running.service.name}...")
            self.stack.wait_ready(running.service.name, READY_TIMEOUT_S)

    def _kafka(self) -> KafkaConnection:
        settings = self._settings
        if settings.env.kafka_bootstrap_servers:
            conn = resolve_connection(settings)
            wait_for_broker(conn, settings.env.callstream_kafka_wait_s, say=self._progress)
            return conn
        own = self.options.own_broker
        broker = LocalBroker(
            self.state_dir / "kafka" if own else settings.kafka_dir,
            JarCache.default(settings.cache_dir / "kafka"),
            java_home=settings.env.java_home,
        )
        if own:
            self._broker = broker  # stopped when leaving, even if interrupted while starting
            state = broker.start(port=0, progress=self._progress)
            return KafkaConnection(bootstrap_servers=state.bootstrap, local=True)
        already = broker.status()
        if already.running and already.state is not None:
            self._progress(f"using the local Kafka broker already {already.note}")
            return KafkaConnection(bootstrap_servers=already.state.bootstrap, local=True)
        wanted = already.state.port if already.state else DEFAULT_PORT
        state = broker.start(port=0 if port_in_use(wanted) else wanted, progress=self._progress)
        self._broker = broker
        return KafkaConnection(bootstrap_servers=state.bootstrap, local=True)

    def _configuration(self) -> AppConfig:
        if self.options.config is not None:
            return stack_config(self.options.config, self.ports)
        if self._settings.env.callstream_config is None:
            return stack_config(demo_config(), self.ports)
        return stack_config(self._settings.config, self.ports)

    def _child_env(self, config_path: Path) -> dict[str, str]:
        env = dict(self._base_env) | {
            "KAFKA_BOOTSTRAP_SERVERS": self.conn.bootstrap_servers,
            "CALLSTREAM_CONFIG": str(config_path),
            "CALLSTREAM_TOPIC_PREFIX": self.topics.prefix,
            "CALLSTREAM_LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
        }
        for name in (
            "CALLSTREAM_INGRESS_TOKEN",
            "CALLSTREAM_CONSOLE_TOKEN",
            "CALLSTREAM_CONSOLE_REPLAY_TOKEN",
        ):
            if not env.get(name):
                env[name] = secrets.token_urlsafe(24)
        if self.uses_emulator:
            signer = WebhookSigner.generate()
            env |= {
                "TELNYX_BASE_URL": f"{self.emulator_url}/v2",
                # A key of the local run only: a real key must never reach the emulator.
                "TELNYX_API_KEY": "dev-" + secrets.token_urlsafe(24),
                "TELNYX_PUBLIC_KEY": signer.public_key_b64,
                "CALLSTREAM_EMULATOR_SIGNING_KEY": signer.seed_b64,
            }
        return env

    def _write_env_file(self) -> None:
        names = [
            "KAFKA_BOOTSTRAP_SERVERS", "CALLSTREAM_CONFIG", "CALLSTREAM_TOPIC_PREFIX",
            "CALLSTREAM_INGRESS_TOKEN", "TELNYX_BASE_URL", "TELNYX_API_KEY", "TELNYX_PUBLIC_KEY",
            "CALLSTREAM_CONSOLE_TOKEN", "CALLSTREAM_CONSOLE_REPLAY_TOKEN",
        ]  # fmt: skip
        lines = [f"export {name}={_quote(self.env[name])}\n" for name in names if name in self.env]
        # Where the local run listens, so commands pasted after `source` need no port.
        lines.append(f"export CALLSTREAM_INGRESS_URL={_quote(self.ingress_url)}\n")
        lines.append(f"export CALLSTREAM_CONSOLE_URL={_quote(self.console_url)}\n")
        if self.uses_emulator:
            lines.append(f"export CALLSTREAM_EMULATOR_URL={_quote(self.emulator_url)}\n")
        fd = os.open(self.env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.writelines(lines)

    def _services(self) -> list[Service]:
        """What to run, in start order (the remote side first, the front door last)."""
        ports, env, options = self.ports, self.env, self.options
        started = [
            services.backends(
                env,
                port=ports.backends,
                orders_delay_s=options.orders_delay_s,
                loyalty_delay_s=options.loyalty_delay_s,
            )
        ]
        if self.uses_emulator:
            started.append(
                services.emulator(env, port=ports.emulator, ingress_url=self.ingress_url)
            )
        own = options.service_env
        return [
            *started,
            services.streams(env | dict(own.get("streams", {})), port=ports.streams_ops),
            services.injector(env | dict(own.get("injector", {})), port=ports.injector_ops),
            services.ingress(env | dict(own.get("ingress", {})), port=ports.ingress),
            *([services.console(env, port=ports.console)] if options.console else []),
        ]


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def check_ports_free(ports: DevPorts) -> None:
    """``DevStackError`` naming every port that something else already listens on."""
    busy = [f"{name} {port}" for name, port in ports.named().items() if port_in_use(port)]
    if busy:
        raise DevStackError(
            "these ports are already in use: "
            + ", ".join(busy)
            + " (another callstream dev? stop it, or pass --free-ports)"
        )
