"""Real ``callstream streams`` worker processes against the session's broker.

Each test gets its own topic prefix (so its own topics, consumer group and
changelogs), a YAML config with short timings, workers started, killed and
probed through devkit's ``Stack``, and helpers to watch the output topics.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from confluent_kafka import Consumer, Producer

from callstream.kafka import KafkaConnection, consumer_config, ensure_topics, producer_config
from callstream.records import DeadLetter, Injection, Record, decode, encode
from callstream.topics import Topics, topic_specs
from devkit.stack import Stack, services

PARTITIONS = 4

BASE_CONFIG = """
topics: {{partitions: {partitions}}}
streams:
  grace_period_s: {grace}
  session_timeout_s: {session_timeout}
  processing_guarantee: {guarantee}
  tick_interval_s: 0.5
# These tests drive calls far faster than a person could follow (the recovery test sends
# each call six notes a second) and count every injection; the per-call pacing has its own
# tests (tests/unit/streams/decide/test_pacing.py, tests/integration/e2e/test_guardrails.py).
guardrails: {{rate: null}}
tools:
  lookup_order_status:
    message:
      headline: ORDER LOOKUP COMPLETE
      instruction: Share these details with the customer now.
      trigger_response: true
  check_loyalty_points:
    message: {{headline: LOYALTY POINTS}}
{extra_tools}
sources:
  crm:
    topic: {prefix}crm.events
    events:
      profile.updated: {{headline: CRM PROFILE UPDATED, trigger_response: false}}
  fraud:
    topic: {prefix}fraud.alerts
    events:
      fraud.alert: {{headline: FRAUD ALERT, trigger_response: true, priority: urgent}}
  ticketing:
    topic: {prefix}ticketing.events
    events:
      ticket.updated: {{headline: SUPPORT TICKET UPDATED}}
"""


@dataclass
class StreamsEnv:
    """One test's deployment: broker, topics, config file, environment for the workers."""

    conn: KafkaConnection
    prefix: str
    topics: Topics
    env: dict[str, str]
    stack: Stack
    guarantee: str = "at_least_once"
    workers: list[Worker] = field(default_factory=list)
    _producer: Producer | None = None

    def worker(self, name: str, extra_env: dict[str, str] | None = None) -> Worker:
        """Start a worker process under the worker id ``name`` (stopped, and killed if need
        be, after the test); a second start of one name is that worker restarted."""
        env = self.env | (extra_env or {})
        self.stack.start(services.streams(env, name=name), wait=False)
        worker = Worker(name, self.stack)
        if worker not in self.workers:
            self.workers.append(worker)
        return worker

    def close(self) -> None:
        """Flush and drop the test producer (before the broker goes away)."""
        _close(self)

    def send(self, topic: str, *records: Record | tuple[bytes | None, bytes]) -> None:
        """Produce records keyed by their call id (or raw (key, value) pairs)."""
        if self._producer is None:
            self._producer = Producer(producer_config(self.conn, "streams-test-producer"))
        failures: list[str] = []

        def delivered(err: object, _: object) -> None:
            if err is not None:
                failures.append(str(err))

        for record in records:
            if isinstance(record, tuple):
                key, value = record
            else:
                call = getattr(record, "call_control_id", None)
                key, value = (call.encode() if call else None, encode(record))
            self._producer.produce(topic, key=key, value=value, on_delivery=delivered)
        remaining = self._producer.flush(30)
        assert not remaining, f"{remaining} records unacknowledged"
        assert not failures, failures


def _close(env: StreamsEnv) -> None:
    if env._producer is not None:
        env._producer.flush(10)
        env._producer = None  # confluent-kafka closes it when collected


def make_env(
    conn: KafkaConnection,
    prefix: str,
    tmp_path: Path,
    *,
    grace: float = 3.0,
    extra_tools: str = "",
    session_timeout: float = 6.0,
    guarantee: str = "at_least_once",
) -> StreamsEnv:
    config = BASE_CONFIG.format(
        partitions=PARTITIONS,
        grace=grace,
        prefix=prefix,
        extra_tools=extra_tools,
        session_timeout=session_timeout,
        guarantee=guarantee,
    )
    path = tmp_path / "callstream.yaml"
    path.write_text(config)
    sources = {name: f"{prefix}{name_topic}" for name, name_topic in SOURCE_TOPICS.items()}
    topics = Topics(prefix=prefix, sources=sources)
    ensure_topics(conn, topic_specs(topics, partitions=PARTITIONS, replication_factor=1))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CALLSTREAM_", "KAFKA_"))}
    env |= {
        "KAFKA_BOOTSTRAP_SERVERS": conn.bootstrap_servers,
        "CALLSTREAM_TOPIC_PREFIX": prefix,
        "CALLSTREAM_CONFIG": str(path),
        "CALLSTREAM_LOG_LEVEL": "INFO",
    }
    return StreamsEnv(conn, prefix, topics, env, Stack(tmp_path / "logs"), guarantee)


SOURCE_TOPICS = {"crm": "crm.events", "fraud": "fraud.alerts", "ticketing": "ticketing.events"}


@pytest.fixture
def streams_env(
    request: pytest.FixtureRequest, kafka_conn: KafkaConnection, topic_prefix: str, tmp_path: Path
) -> Iterator[StreamsEnv]:
    """Topics and config for one test; every worker it starts is stopped at the end.

    A test parametrized indirectly with ``guarantee`` runs under that processing guarantee.
    """
    guarantee = getattr(request, "param", {}).get("guarantee", "at_least_once")
    env = make_env(kafka_conn, topic_prefix, tmp_path, guarantee=guarantee)
    yield env
    stop_workers(env)


def stop_workers(env: StreamsEnv) -> None:
    """Close the test producer, stop every worker and show its log (pytest shows it on failure)."""
    env.close()
    for worker in env.workers:
        code = worker.stop()
        print(f"----- worker {worker.name} (exit {code}) -----")  # noqa: T201
        print(worker.logs())  # noqa: T201
    env.stack.stop_all()


@dataclass
class Worker:
    """One ``callstream streams`` process of the test's stack, its log and its probe port."""

    name: str
    stack: Stack

    def logs(self) -> str:
        """Warnings and errors, then the last lines (for failure reports)."""
        lines = self.lines
        worrying = [
            line for line in lines if '"level": "warning"' in line or '"level": "error"' in line
        ]
        return "\n".join([*worrying[:40], "...", *lines[-30:]])

    @property
    def lines(self) -> list[str]:
        return self.stack[self.name].log_lines()

    def readyz(self) -> dict[str, object] | None:
        try:
            response = httpx.get(self.stack[self.name].service.url("/readyz"), timeout=2)
        except httpx.HTTPError:
            return None
        body: dict[str, object] = response.json()
        return body if response.status_code == 200 else None

    def partitions(self) -> list[int] | None:
        """The partitions this worker says it owns, once it is ready."""
        body = self.readyz()
        if body is None:
            return None
        detail = str(body["checks"]["joined"]["detail"])  # type: ignore[index]
        found = re.search(r"\[(.*)\]", detail)
        return [int(p) for p in found.group(1).split(",") if p.strip()] if found else None

    def wait_ready(self, timeout_s: float = 90.0) -> list[int]:
        """Wait until the worker has joined its group and restored its partitions."""
        return wait_for(
            self.partitions, timeout_s, lambda: f"{self.name} not ready:\n{self.logs()}"
        )

    def metric(self, name: str, **labels: str) -> float:
        """The sum of a metric's samples (with ``labels``) from its /metrics."""
        return self.stack.metric(self.name, name, **labels)

    def kill(self) -> None:
        """SIGKILL: no flush, no commit, no goodbye to the group."""
        self.stack.kill(self.name)

    def stop(self, timeout_s: float = 60.0) -> int:
        """SIGTERM and wait for a clean exit (``DevStackError`` after ``timeout_s``); the exit
        status (that of its end when it had already exited)."""
        running = self.stack[self.name]
        if running.alive:
            return self.stack.terminate(self.name, timeout_s)
        code = running.process.returncode
        assert code is not None
        return code


T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], timeout_s: float, explain: Callable[[], str]) -> T:
    """Poll ``probe`` until it returns something, or fail with ``explain()``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout_s:.0f}s: {explain()}")


@dataclass(frozen=True)
class Seen:
    """One output record as the tests look at it."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]

    def injection(self) -> Injection:
        return decode(Injection, self.value)

    def dead_letter(self) -> DeadLetter:
        return DeadLetter.from_headers(self.headers)


class Tail:
    """Follows topics from their start (read_committed), keeping every record in order."""

    def __init__(self, conn: KafkaConnection, topics: list[str]) -> None:
        self._consumer = Consumer(
            consumer_config(conn, "streams-test-tail", f"tail-{uuid.uuid4()}")
        )
        self._consumer.subscribe(topics)
        self.records: list[Seen] = []

    def poll(self, budget_s: float = 1.0) -> None:
        """Read what has arrived: until a 0.2 s lull, or ``budget_s`` under steady traffic."""
        end = time.monotonic() + budget_s
        while time.monotonic() < end:
            message = self._consumer.poll(0.2)
            if message is None:
                return
            if message.error():
                continue
            headers = message.headers() or []
            self.records.append(
                Seen(message.topic() or "", message.key(), message.value(), list(headers))
            )

    def on(self, topic: str) -> list[Seen]:
        return [record for record in self.records if record.topic == topic]

    def wait(self, topic: str, count: int, timeout_s: float = 60.0) -> list[Seen]:
        """Wait until ``topic`` has at least ``count`` records; return them all."""

        def enough() -> list[Seen] | None:
            self.poll()
            found = self.on(topic)
            return found if len(found) >= count else None

        return wait_for(enough, timeout_s, lambda: f"{len(self.on(topic))}/{count} on {topic}")

    def settle(self, seconds: float) -> None:
        """Keep reading for ``seconds`` (to see that nothing more arrives)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.poll()

    def close(self) -> None:
        self._consumer.close()


@pytest.fixture
def tail(streams_env: StreamsEnv) -> Iterator[Tail]:
    """A tail on the injections and dead-letter topics of this test."""
    t = Tail(streams_env.conn, [streams_env.topics.injections, streams_env.topics.dlq])
    yield t
    t.close()
