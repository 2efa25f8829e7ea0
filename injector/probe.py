"""A daemon thread asking the cluster for metadata now and then, for the ``broker`` readiness check.

The consumer's own errors say when the broker goes away, but not when it
comes back; a separate admin client answering a metadata request does both,
and never blocks the consumer or the event loop.
"""

from __future__ import annotations

import threading

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from callstream.kafka import KafkaConnection, admin_config
from callstream.ops import Health


class BrokerProbe:
    """Sets ``health``'s ``broker`` check every ``interval_s`` seconds."""

    def __init__(self, conn: KafkaConnection, health: Health, *, interval_s: float = 5.0) -> None:
        self._admin = AdminClient(admin_config(conn, "callstream-injector-probe"))
        self._health = health
        self._interval_s = interval_s
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="broker-probe", daemon=True)
        self._describe = conn.describe()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=self._interval_s + 5)

    def check(self) -> bool:
        try:
            self._admin.list_topics(timeout=min(5.0, self._interval_s))
        except KafkaException as exc:
            self._health.set("broker", False, f"{self._describe} did not answer: {exc}")
            return False
        self._health.set("broker", True, self._describe)
        return True

    def _run(self) -> None:
        while not self._stopped.is_set():
            self.check()
            self._stopped.wait(self._interval_s)
