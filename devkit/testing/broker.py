"""A real Kafka broker for tests and benchmarks, from the best source available.

In order: ``KAFKA_BOOTSTRAP_SERVERS`` when the caller passes one; a
testcontainers Kafka when a Docker engine answers; else the local broker from
the official jars (``devkit.localkafka``) in a throw-away data dir on a
free port, stopped on exit.

``provide_cluster`` is for tests that take brokers away: always a local
cluster of this process's own (a cluster someone else runs is not the test's
to kill).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from devkit.localkafka import JarCache, LocalBroker
from devkit.localkafka.cluster import LocalCluster

# Confluent Platform 8.1 ships Apache Kafka 4.1, the version the local broker runs.
TESTCONTAINERS_IMAGE = "confluentinc/cp-kafka:8.1.0"

BrokerKind = Literal["external", "testcontainers", "local"]


@dataclass(frozen=True)
class BrokerHandle:
    """Where the test broker is and what it is."""

    bootstrap: str
    kind: BrokerKind
    description: str
    data_dir: Path | None = None


def docker_engine_available(docker_host: str | None = None) -> bool:
    """True when a Docker engine answers a ping (the ``docker`` client alone is not enough)."""
    if not docker_host and not Path("/var/run/docker.sock").exists():
        return False  # nothing to talk to; do not even open a client
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - any failure means "no usable engine"
        return False


@contextlib.contextmanager
def provide_broker(
    *,
    work_dir: Path,
    cache_dir: Path,
    external_bootstrap: str | None = None,
    java_home: Path | None = None,
    docker_host: str | None = None,
    use_docker: bool = True,
) -> Iterator[BrokerHandle]:
    """Yield a running broker; stop whatever this call started when the block ends."""
    if external_bootstrap:
        yield BrokerHandle(
            external_bootstrap, "external", f"KAFKA_BOOTSTRAP_SERVERS={external_bootstrap}"
        )
        return
    if use_docker and docker_engine_available(docker_host):
        from testcontainers.community.kafka import KafkaContainer

        with KafkaContainer(TESTCONTAINERS_IMAGE).with_kraft() as container:
            bootstrap = container.get_bootstrap_server()
            yield BrokerHandle(
                bootstrap, "testcontainers", f"{TESTCONTAINERS_IMAGE} at {bootstrap}"
            )
        return
    broker = LocalBroker(work_dir, JarCache.default(cache_dir / "kafka"), java_home=java_home)
    state = broker.start(port=0, heap_max="1g")
    try:
        yield BrokerHandle(
            state.bootstrap,
            "local",
            f"local Apache Kafka {state.kafka_version} at {state.bootstrap} (pid {state.pid})",
            data_dir=broker.data_dir,
        )
    finally:
        broker.stop()


@contextlib.contextmanager
def provide_cluster(
    *, work_dir: Path, cache_dir: Path, brokers: int = 3, java_home: Path | None = None
) -> Iterator[LocalCluster]:
    """Yield a running local cluster of ``brokers`` in ``work_dir``; stop every node on exit."""
    cluster = LocalCluster(
        work_dir, JarCache.default(cache_dir / "kafka"), brokers=brokers, java_home=java_home
    )
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
