"""``callstream console``: the read-side view of live calls, timelines and dead letters."""

from __future__ import annotations

import click

from callstream.startup import start_service
from callstream_cli.broker import reach_kafka


@click.command()
@click.option("--host", default=None, help="Address to listen on [default: console.host].")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port; 0 picks a free one [default: console.port, 8003].",
)
def console(host: str | None, port: int | None) -> None:
    """Show live calls, each call's timeline, dead letters and latency in a browser.

    Needs CALLSTREAM_CONSOLE_TOKEN (read-only); CALLSTREAM_CONSOLE_REPLAY_TOKEN
    adds a replay button on the Dead letters page. It reads every topic from
    console.lookback_s back without a consumer group, so replicas each see
    everything. SIGTERM or Ctrl-C stops it.
    """
    settings = start_service("console")
    from console.app import create_app
    from console.main import access_of, build_console, serve

    access = access_of(settings)
    conn = reach_kafka(settings)
    config = settings.config.console
    app = create_app(build_console(settings, conn, access))
    serve(
        app,
        host=host or config.host,
        port=config.port if port is None else port,
        announce=click.echo,
    )
