"""``callstream injector``: deliver injections to live calls through the Add Messages API."""

from __future__ import annotations

import click

from callstream.errors import ConfigError
from callstream.startup import start_service
from callstream_cli.broker import reach_kafka


@click.command()
@click.option(
    "--ops-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port of /healthz, /readyz, /metrics; 0 picks a free one [default: injector.ops_port].",
)
def injector(ops_port: int | None) -> None:
    """Consume callstream.injections and deliver each to its live call, once, in order.

    Needs TELNYX_API_KEY (and TELNYX_BASE_URL for anything but the real API).
    Retries with backoff, dead-letters what cannot be delivered, halts on a
    refused key. SIGTERM or Ctrl-C stops it gracefully.
    """
    settings = start_service("injector")
    if settings.env.telnyx_api_key is None:
        raise ConfigError(
            "TELNYX_API_KEY is not set: the injector sends it as the Add Messages bearer key"
        )
    reach_kafka(settings)
    from injector.main import run_injector

    run_injector(settings, ops_port=ops_port)
