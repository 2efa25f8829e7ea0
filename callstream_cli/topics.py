"""``callstream topics create``: make every topic (README, *Kafka topics*), idempotently."""

from __future__ import annotations

import click

from callstream.kafka import ensure_topics
from callstream.startup import start_service
from callstream.topics import topic_specs
from callstream_cli.broker import reach_kafka


@click.group()
def topics() -> None:
    """Manage callstream's Kafka topics."""


@topics.command()
@click.option(
    "--partitions",
    type=click.IntRange(min=1),
    default=None,
    help="Partitions per topic [default: topics.partitions in the config, 12].",
)
@click.option(
    "--replication-factor",
    type=click.IntRange(min=1),
    default=None,
    help="Replicas per partition [default: topics.replication_factor in the config, 1].",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds to wait for the cluster [default: CALLSTREAM_KAFKA_WAIT_S, 30].",
)
def create(partitions: int | None, replication_factor: int | None, timeout: float | None) -> None:
    """Create every callstream topic and configured source topic that does not exist yet."""
    settings = start_service("topics")
    timeout = timeout or settings.env.callstream_kafka_wait_s
    conn = reach_kafka(settings, timeout)
    shape = settings.config.topics
    specs = topic_specs(
        settings.topics,
        partitions=partitions or shape.partitions,
        replication_factor=replication_factor or shape.replication_factor,
    )
    report = ensure_topics(conn, specs, timeout_s=timeout)
    by_name = {spec.name: spec for spec in specs}
    for name in report.created:
        spec = by_name[name]
        click.echo(f"created  {name}  ({spec.partitions} partitions, rf {spec.replication_factor})")
    for name in report.existing:
        click.echo(f"exists   {name}")
    for name, actual in report.mismatched.items():
        click.echo(
            f"warning: {name} has {actual} partitions, not {by_name[name].partitions}; "
            "left unchanged",
            err=True,
        )
    click.echo(
        f"{len(report.created)} created, {len(report.existing)} already existed "
        f"on {conn.describe()}"
    )
