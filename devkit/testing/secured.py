"""Secured brokers for tests: the local broker from the official jars with ``BrokerSecurity``.

Always the local broker (a testcontainers image or ``KAFKA_BOOTSTRAP_SERVERS``
would not have this test's CA and users), in a throw-away data dir on a free
port, with a CA and credentials made for this run; stopped on exit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from callstream.kafka.connection import KafkaConnection
from devkit.localkafka import JarCache, LocalBroker
from devkit.localkafka.security import ADMIN, BrokerSecurity, SecurityMode


@dataclass(frozen=True)
class SecuredBroker:
    """A running secured broker and how each of its users connects."""

    bootstrap: str
    security: BrokerSecurity
    description: str

    def env(self, user: str = ADMIN) -> dict[str, str]:
        """``user``'s KAFKA_* variables (they hold its password: never print them)."""
        return self.security.client(user).env(self.bootstrap)

    def conn(self, user: str = ADMIN) -> KafkaConnection:
        return self.security.client(user).connection(self.bootstrap)


@contextlib.contextmanager
def provide_secured_broker(
    mode: SecurityMode,
    *,
    work_dir: Path,
    cache_dir: Path,
    users: Sequence[str] = (),
    java_home: Path | None = None,
) -> Iterator[SecuredBroker]:
    """Yield a running broker whose one client listener is ``mode``; stop it when the block ends."""
    security = BrokerSecurity.create(work_dir / "security", mode, users)
    broker = LocalBroker(work_dir, JarCache.default(cache_dir / "kafka"), java_home=java_home)
    state = broker.start(port=0, heap_max="512m", security=security)
    try:
        yield SecuredBroker(
            state.bootstrap,
            security,
            f"local Apache Kafka {state.kafka_version} with a {mode} listener at "
            f"{state.bootstrap} (pid {state.pid})",
        )
    finally:
        broker.stop()
