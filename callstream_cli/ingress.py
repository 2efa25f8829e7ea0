"""``callstream ingress``: run the HTTP front door (README, *Ingress*) under uvicorn."""

from __future__ import annotations

import click

from callstream.kafka import probe_broker, resolve_connection
from callstream.startup import start_service

# How long the ingress asks a secured cluster whether it accepts its credentials before
# serving anyway (an absent broker only makes it not ready; a refusal stops it).
SECURITY_PROBE_S = 5.0


@click.command()
@click.option(
    "--host", default=None, help="Address to listen on [default: ingress.host, 127.0.0.1]."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port; 0 picks a free one [default: ingress.port, 8000].",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes sharing the socket [default: ingress.workers, 1].",
)
def ingress(host: str | None, port: int | None, workers: int | None) -> None:
    """Accept webhooks, events and supervisor messages; answer only once Kafka holds them."""
    settings = start_service("ingress")
    # Fail here, with one clear line, rather than in every worker.
    conn = resolve_connection(settings)
    if conn.security_protocol != "PLAINTEXT":
        probe_broker(conn, min(settings.env.callstream_kafka_wait_s, SECURITY_PROBE_S))
    from ingress.serve import serve

    config = settings.config.ingress
    click.echo(f"Kafka: {conn.describe()}")
    serve(
        host=host or config.host,
        port=config.port if port is None else port,
        workers=workers or config.workers,
        announce=click.echo,
    )
