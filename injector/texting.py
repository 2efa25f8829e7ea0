"""Building and running the follow-up texter beside the injector, in the injector process.

Its own producer, recorder and consumer thread (group ``{injector group}-sms``
on ``followups``), so texting never waits on the injector's acknowledgements
and the injector never waits on texting; one stop request ends both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Producer
from pydantic import SecretStr

from callstream.kafka import producer_config
from callstream.kafka.connection import KafkaConnection
from callstream.kafka.consumer_thread import ConsumerThread
from callstream.ops import Health
from callstream.settings import Settings
from injector.client import Sender
from injector.consuming import consumer_thread
from injector.memory import RecentSet
from injector.recorder import Recorder
from injector.service import Injector
from injector.sms import MessagingClient
from injector.texter import Texter


@dataclass
class FollowupTexting:
    """The texter, its client and recorder, and the consumer thread that feeds it."""

    texter: Texter
    client: MessagingClient
    recorder: Recorder
    thread: ConsumerThread
    grace_s: float

    @classmethod
    def build(
        cls,
        settings: Settings,
        conn: KafkaConnection,
        *,
        api_key: SecretStr,
        sender: Sender,
        group: str,
        ledger: RecentSet,
        health: Health,
        loop: asyncio.AbstractEventLoop,
    ) -> FollowupTexting:
        topics, config = settings.topics, settings.config.injector
        client = MessagingClient(
            base_url=str(settings.env.telnyx_base_url), api_key=api_key, sender=sender
        )

        def failed(detail: str) -> None:
            health.set("sms", False, f"an outcome record was not written: {detail}")

        producer = Producer(producer_config(conn, "callstream-injector-sms"))
        recorder = Recorder(
            producer, deliveries_topic=topics.deliveries, dlq_topic=topics.dlq, on_failure=failed
        )
        texter = Texter(
            topic=topics.followups,
            client=client,
            recorder=recorder,
            schedule=config.retry,
            ledger=ledger,
            health=health,
        )
        thread = consumer_thread(
            conn,
            config,
            client_id="callstream-injector-sms",
            group=group,
            topic=topics.followups,
            hooks=texter,
            loop=loop,
            name="injector-sms-consumer",
        )
        return cls(texter, client, recorder, thread, config.shutdown_grace_s)

    async def run_beside(self, injecting: Coroutine[Any, Any, None], injector: Injector) -> None:
        """Run the texter while ``injecting`` runs; stop it when the injector stops."""
        self.thread.start()
        texting = asyncio.create_task(self.texter.run(self.thread, self.grace_s), name="texter")
        try:
            await injecting
        finally:
            self.texter.request_stop()
            await asyncio.gather(texting, return_exceptions=True)
            await self.client.aclose()
            self.recorder.close(5.0)
        if self.texter.failure is not None:
            injector.on_consumer_failed(f"sms: {self.texter.failure}")
