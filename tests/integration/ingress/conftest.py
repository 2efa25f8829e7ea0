"""A running ingress for integration tests: real broker, real topics, real HTTP, Kafka publisher."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import KafkaException
from nacl.signing import SigningKey

from callstream.kafka import KafkaConnection, ensure_topics
from callstream.settings import Settings
from callstream.topics import Topics, topic_specs
from devkit.stack import Service, Stack
from devkit.testing.broker import BrokerHandle
from devkit.testing.http import serve_in_thread
from devkit.testing.kafka import Consumed, consume, end_offsets
from devkit.testing.polling import wait_until
from devkit.testing.webhooks import public_key_b64
from ingress.app import ingress_topics
from ingress.serve import build_app
from tests.ingress_support import make_settings

TOKEN = "integration-ingress-token"
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
CRM_TOKEN = "integration-crm-token"
SIGNING_KEY = SigningKey.generate()


@dataclass(frozen=True)
class RunningIngress:
    """An ingress under uvicorn on loopback, publishing to the session's broker."""

    url: str
    settings: Settings
    conn: KafkaConnection

    @property
    def topics(self) -> list[str]:
        return ingress_topics(self.settings.topics)

    def published(self) -> int:
        """Records ever written to any topic the ingress writes to."""
        return sum(sum(end_offsets(self.conn, topic).values()) for topic in self.topics)

    def records(self, topic: str, key: str) -> list[Consumed]:
        """Every record on ``topic`` under ``key`` (reads the whole topic)."""
        total = sum(end_offsets(self.conn, topic).values())
        found = consume(self.conn, [topic], expect=total, timeout_s=60)
        return [record for record in found if record.key == key.encode()]


def settings_for(bootstrap: str, prefix: str, **config: Any) -> Settings:
    """Settings with both tokens, a signing key, and two sources on topics of their own."""
    return make_settings(
        bootstrap=bootstrap,
        prefix=prefix,
        ingress_token=TOKEN,
        public_key=public_key_b64(SIGNING_KEY),
        source_tokens={"crm": CRM_TOKEN, "fraud": CRM_TOKEN},
        config={
            "sources": {
                "crm": {"topic": f"{prefix}crm"},
                "fraud": {
                    "topic": f"{prefix}fraud",
                    "fields": {"event_id": "alert.id", "type": "alert.kind", "phone": "caller"},
                },
            }
        }
        | config,
    )


def wait_ready(url: str, timeout_s: float = 60.0) -> None:
    """Return once /readyz says ready (the broker answered and every topic exists)."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = httpx.get(f"{url}/readyz", timeout=10)
        if response.status_code == 200:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the ingress never became ready: {response.text}")
        time.sleep(0.1)


def wait_for_leaders(conn: KafkaConnection, topics: list[str], timeout_s: float = 60.0) -> None:
    """Return once every partition of ``topics`` has a leader (new topics take a moment)."""
    deadline = time.monotonic() + timeout_s
    for topic in topics:
        while True:
            try:
                end_offsets(conn, topic)
                break
            except KafkaException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


@contextlib.contextmanager
def running_ingress(
    conn: KafkaConnection, *, create_topics: bool = True, **config: Any
) -> Iterator[RunningIngress]:
    """The production app (``build_app``) on fresh topics, served until the block ends."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    settings = settings_for(conn.bootstrap_servers, prefix, **config)
    if create_topics:
        ensure_topics(conn, topic_specs(settings.topics, partitions=3, replication_factor=1))
        wait_for_leaders(conn, ingress_topics(settings.topics))
    with serve_in_thread(build_app(settings)) as url:
        yield RunningIngress(url=url, settings=settings, conn=conn)


@dataclass
class IngressProcess:
    """``callstream ingress`` as a process: where it listens (and the line that said so); its
    exit status and its whole log once it stopped."""

    url: str
    announced: str
    topics: Topics
    returncode: int | None = None
    log: str = ""


@contextlib.contextmanager
def ingress_process(
    conn: KafkaConnection, prefix: str, config: str, tmp_path: Path, *, workers: int = 1
) -> Iterator[IngressProcess]:
    """``callstream ingress --port 0`` on fresh topics under ``prefix`` (3 partitions), with
    ``config`` as its YAML and ``TOKEN``, on devkit's ``Stack``; stopped with SIGTERM when
    the block ends."""
    topics = Topics(prefix=prefix)
    ensure_topics(conn, topic_specs(topics, partitions=3, replication_factor=1))
    wait_for_leaders(conn, [topics.tool_calls])
    path = tmp_path / "callstream.yaml"
    path.write_text(config)
    env = os.environ | {
        "KAFKA_BOOTSTRAP_SERVERS": conn.bootstrap_servers,
        "CALLSTREAM_TOPIC_PREFIX": prefix,
        "CALLSTREAM_CONFIG": str(path),
        "CALLSTREAM_INGRESS_TOKEN": TOKEN,
    }
    argv = [sys.executable, "-m", "callstream_cli", "ingress", "--port", "0"]
    argv += ["--workers", str(workers)]
    with Stack(tmp_path / "logs") as stack:
        # --port 0: picking the port and announcing it is what the command test checks.
        running = stack.start(Service("ingress", argv, env, ready_path=None))
        announced: str = wait_until(
            lambda: next((line for line in running.log_lines() if _LISTENING.search(line)), None),
            timeout_s=120,
            what="the ingress to announce its address",
        )
        found = _LISTENING.search(announced)
        assert found is not None
        ingress = IngressProcess(found.group(1), announced, topics)
        try:
            yield ingress
        finally:
            ingress.returncode = stack.terminate("ingress", timeout_s=120)
            ingress.log = "\n".join(running.log_lines())
            sys.stderr.write(ingress.log)  # shown by pytest when the test fails


@pytest.fixture(scope="module")
def module_conn(kafka_broker: BrokerHandle) -> KafkaConnection:
    return KafkaConnection(bootstrap_servers=kafka_broker.bootstrap)


@pytest.fixture(scope="module")
def ingress(module_conn: KafkaConnection) -> Iterator[RunningIngress]:
    """One ready ingress for a whole test module (tests there use their own call ids)."""
    with running_ingress(module_conn) as running:
        wait_ready(running.url)
        yield running
