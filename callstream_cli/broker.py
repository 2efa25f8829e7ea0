"""Reaching the Kafka cluster from a command: where it is, and waiting for it out loud."""

from __future__ import annotations

import click

from callstream.kafka import KafkaConnection, resolve_connection, wait_for_broker
from callstream.settings import Settings


def say(line: str) -> None:
    """A command's own progress line on stderr (stdout stays the command's answer)."""
    click.echo(f"callstream: {line}", err=True)


def reach_kafka(settings: Settings, timeout_s: float | None = None) -> KafkaConnection:
    """The cluster, once it answers a metadata request.

    Waits up to ``timeout_s`` (else ``CALLSTREAM_KAFKA_WAIT_S``), saying what
    it waits for once the answer is not immediate; then ``KafkaUnavailable``,
    which the CLI prints as one line with exit status 1.
    """
    conn = resolve_connection(settings)
    wait_for_broker(conn, timeout_s or settings.env.callstream_kafka_wait_s, say=say)
    return conn
