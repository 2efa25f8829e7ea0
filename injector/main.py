"""Running the injector process: build everything from ``Settings``, serve, shut down cleanly.

The one place the injector's collaborators are made: the HTTP sender, the
Add Messages client, the producer and recorder, the consumer and its thread,
the ops server and the broker probe. SIGTERM and SIGINT begin a graceful
shutdown; the process exits 0 once in-flight work is finished or abandoned
and what is done is committed.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any

import structlog
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from prometheus_client import CollectorRegistry

from callstream.config.services import InjectorConfig
from callstream.errors import ConfigError, KafkaUnavailable, TopicError
from callstream.kafka import admin_config, producer_config, resolve_connection
from callstream.kafka.admin import wait_for_broker
from callstream.ops import Health, OpsServer
from callstream.records import utcnow
from callstream.settings import Settings
from callstream.tracing import start_tracing
from injector.client import AddMessagesClient, AiohttpSender, HttpxSender, Sender
from injector.consuming import consumer_thread
from injector.memory import RecentSet
from injector.metrics import InjectorMetrics
from injector.probe import BrokerProbe
from injector.rebuild import rebuild_memories
from injector.recorder import Recorder
from injector.service import Injector
from injector.texting import FollowupTexting

log = structlog.get_logger("injector")


def group_id(settings: Settings) -> str:
    """The consumer group: configured, else derived from the topic prefix."""
    return settings.config.injector.group_id or f"{settings.env.callstream_topic_prefix}injector"


def make_sender(config: InjectorConfig) -> Sender:
    """The HTTP stack the config names, pooled for ``max_in_flight`` connections."""
    if config.http_client == "httpx":
        return HttpxSender.pooled(
            max_connections=config.max_in_flight, timeout_s=config.request_timeout_s
        )
    return AiohttpSender(max_connections=config.max_in_flight, timeout_s=config.request_timeout_s)


class InjectorApp:
    """The injector process's parts, built from ``Settings``: prepare, serve, stop, close."""

    def __init__(self, settings: Settings, *, ops_port: int | None = None) -> None:
        api_key = settings.env.telnyx_api_key
        if api_key is None:
            raise ConfigError("TELNYX_API_KEY is not set: the injector needs it for Add Messages")
        self._settings = settings
        self._api_key = api_key
        self._config = settings.config.injector
        self._conn = resolve_connection(settings)
        self.registry = CollectorRegistry()
        self.metrics = InjectorMetrics(self.registry)
        self.health = Health()
        self._ops_port = self._config.ops_port if ops_port is None else ops_port
        self._ops: OpsServer | None = None
        self._probe: BrokerProbe | None = None
        self._ledger = RecentSet(
            max_size=self._config.ledger_size, horizon_s=self._config.ledger_horizon_s
        )
        self._ended = RecentSet(
            max_size=self._config.ended_calls_size, horizon_s=self._config.ledger_horizon_s
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._injector: Injector | None = None

    @property
    def serving(self) -> bool:
        """True between the start of ``serve`` and its end."""
        return self._injector is not None

    @property
    def ops_port(self) -> int:
        assert self._ops is not None, "prepare() first"
        return self._ops.port

    def prepare(self) -> None:
        """Blocking start-up: broker reachable, probes served, ledger rebuilt."""
        wait_for_broker(self._conn, timeout_s=30)
        self._check_topics()
        self.health.set("producer", True)
        self._ops = OpsServer(
            host=self._config.ops_host,
            port=self._ops_port,
            health=self.health,
            registry=self.registry,
        )
        self._ops.start()
        self._probe = BrokerProbe(self._conn, self.health)
        self._probe.check()
        self._probe.start()
        topics = self._settings.topics
        rebuilt = rebuild_memories(
            self._conn,
            topics.deliveries,
            ledger=self._ledger,
            ended_calls=self._ended,
            now=utcnow(),
            max_records=self._config.ledger_size,
        )
        self.metrics.ledger_ids.set(len(self._ledger))
        log.info(
            "injector_starting",
            ops_port=self._ops.port,
            remote=str(self._settings.env.telnyx_base_url),
            topic=topics.injections,
            group=group_id(self._settings),
            http_client=self._config.http_client,
            max_in_flight=self._config.max_in_flight,
            ledger_ids=len(self._ledger),
            ended_calls=len(self._ended),
            ledger_rebuild_complete=rebuilt.complete,
            kafka=self._conn.describe(),
        )

    def _check_topics(self) -> None:
        topics = self._settings.topics
        needed = [
            topics.injections,
            topics.deliveries,
            topics.undelivered,
            topics.followups,
            topics.dlq,
        ]
        admin = AdminClient(admin_config(self._conn, "callstream-injector-admin"))
        found = admin.list_topics(timeout=10).topics
        missing = [name for name in needed if name not in found]
        if missing:
            raise TopicError(
                f"topic(s) {', '.join(missing)} do not exist: run `callstream topics create`"
            )

    def request_stop(self) -> None:
        """Begin a graceful shutdown; safe from any thread."""
        if self._loop is not None and self._injector is not None:
            self._loop.call_soon_threadsafe(self._injector.request_stop)

    def close(self) -> None:
        if self._probe is not None:
            self._probe.stop()
            self._probe = None
        if self._ops is not None:
            self._ops.stop()

    async def serve(self, *, install_signals: bool = True) -> None:
        """Consume and deliver until a stop is requested (SIGTERM/SIGINT when installed)."""
        config = self._config
        topics = self._settings.topics
        loop = asyncio.get_running_loop()
        client = AddMessagesClient(
            base_url=str(self._settings.env.telnyx_base_url),
            api_key=self._api_key,
            sender=make_sender(config),
        )
        producer = Producer(producer_config(self._conn, "callstream-injector"))
        recorder = Recorder(
            producer,
            deliveries_topic=topics.deliveries,
            dlq_topic=topics.dlq,
            undelivered_topic=topics.undelivered,
            on_failure=self._record_failed,
        )
        injector = Injector(
            config=config,
            topic=topics.injections,
            client=client,
            recorder=recorder,
            health=self.health,
            metrics=self.metrics,
            ledger=self._ledger,
            ended_calls=self._ended,
            tracing=start_tracing(self._settings, "injector"),
        )
        thread = consumer_thread(
            self._conn,
            config,
            client_id="callstream-injector",
            group=group_id(self._settings),
            topic=topics.injections,
            hooks=injector,
            loop=loop,
            name="injector-consumer",
            # Prefetch stays modest: the service's own buffer is the backpressure point.
            overrides={"queued.max.messages.kbytes": 16 * 1024},
        )
        texting = self._texting(loop)
        signals = (signal.SIGTERM, signal.SIGINT) if install_signals else ()
        for sig in signals:
            loop.add_signal_handler(sig, injector.request_stop)
        self._loop, self._injector = loop, injector
        thread.start()
        try:
            if texting is None:
                await injector.run(thread)
            else:
                await texting.run_beside(injector.run(thread), injector)
            if injector.failure is not None:
                raise KafkaUnavailable(f"the Kafka consumer failed: {injector.failure}")
        finally:
            await client.aclose()
            recorder.close(5.0)
            for sig in signals:
                loop.remove_signal_handler(sig)
            # Drop the last references so librdkafka's handles are destroyed now, not at exit.
            self._injector = None

    def _texting(self, loop: asyncio.AbstractEventLoop) -> FollowupTexting | None:
        """The follow-up texter, when the configuration enables SMS (``followups.sms``)."""
        if not self._settings.config.followups.sms.enabled:
            return None
        return FollowupTexting.build(
            self._settings,
            self._conn,
            api_key=self._api_key,
            sender=make_sender(self._config),
            group=f"{group_id(self._settings)}-sms",
            ledger=self._ledger,
            health=self.health,
            loop=loop,
        )

    def _record_failed(self, detail: str) -> None:
        if self._injector is not None:
            self._injector.on_record_failure(detail)


def run_injector(settings: Settings, *, ops_port: int | None = None) -> None:
    """Run until SIGTERM/SIGINT (blocking); ``ConfigError`` when the key is missing."""
    app = InjectorApp(settings, ops_port=ops_port)
    try:
        app.prepare()
        run_loop(app.serve())
    finally:
        app.close()


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop where it is installed (measured faster), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency except on Windows
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)
