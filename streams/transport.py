"""faust's aiokafka transport, whose consumer never fetches for "no partitions".

faust's fetcher asks aiokafka for the records of its *active* partitions and
hands over its live set of them; the request waits in the consumer thread's
queue, and by the time it runs the set may have emptied (faust pauses the
changelog partitions the moment table recovery ends, while the stream
partitions are still paused). aiokafka reads an empty set as "every
partition" and returns, and counts as consumed, records of partitions faust
has paused; faust then discards them as not active. The partition's position
has moved past them, so unless a seek follows they are never read: a
restarted worker with no committed offsets yet skipped a whole backlog this
way (``tests/integration/streams/test_restart.py``).

``ConsumerThread`` fetches for a copy of the set taken when the request
runs, and for nothing when that copy is empty. ``Transport`` builds the
consumer that uses it; ``streams.app`` installs it.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """The consumer thread, fetching only for the partitions active when the fetch runs."""

    async def _fetch_records(
        self,
        consumer: Any,
        active_partitions: set[TP],
        timeout: float | None = None,  # noqa: ASYNC109 (faust's signature)
        max_records: int | None = None,
    ) -> Any:
        active = set(active_partitions)
        if not active:
            return {}
        return await super()._fetch_records(
            consumer, active, timeout=timeout, max_records=max_records
        )


class Consumer(faust_aiokafka.Consumer):
    """faust's aiokafka consumer with ``ConsumerThread``."""

    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    """faust's aiokafka transport with ``Consumer``."""

    Consumer = Consumer


class App(faust.App):
    """A faust app whose consumer transport is ``Transport`` (the producer's is faust's)."""

    def _new_transport(self) -> Transport:
        return Transport(self.conf.broker_consumer, self)
