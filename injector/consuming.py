"""The injector process's consumer threads: one for injections, one for follow-ups (SMS).

Both join their group with the injector's session timeout (heartbeats at a
fifth of it), start from the earliest record a new group has, and hand
records to the event loop through ``ConsumerThread``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from confluent_kafka import Consumer

from callstream.config.services import InjectorConfig
from callstream.kafka import consumer_config
from callstream.kafka.connection import KafkaConnection
from callstream.kafka.consumer_thread import ConsumerHooks, ConsumerThread


def consumer_thread(
    conn: KafkaConnection,
    config: InjectorConfig,
    *,
    client_id: str,
    group: str,
    topic: str,
    hooks: ConsumerHooks,
    loop: asyncio.AbstractEventLoop,
    name: str,
    overrides: Mapping[str, Any] | None = None,
) -> ConsumerThread:
    """A consumer of ``topic`` in ``group`` on a thread of its own, feeding ``hooks``."""
    consumer = Consumer(
        consumer_config(
            conn,
            client_id,
            group,
            overrides={
                "enable.partition.eof": False,
                "session.timeout.ms": int(config.session_timeout_s * 1000),
                "heartbeat.interval.ms": int(config.session_timeout_s * 1000 / 5),
                **(overrides or {}),
            },
        )
    )
    return ConsumerThread(
        consumer,
        topic=topic,
        hooks=hooks,
        loop=loop,
        revoke_timeout_s=config.shutdown_grace_s + 5.0,
        name=name,
    )
