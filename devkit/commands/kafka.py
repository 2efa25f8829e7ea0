"""``callstream kafka start|stop|status|fetch``: the local development broker."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from callstream.settings import Settings, load_settings
from devkit.localkafka import JarCache, LocalBroker
from devkit.localkafka.security import MODES, BrokerSecurity, SecurityMode

EXIT_NOT_RUNNING = 3  # as `service status` does (LSB): scripts can test it


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _broker(settings: Settings, data_dir: Path | None) -> LocalBroker:
    return LocalBroker(
        data_dir or settings.kafka_dir,
        JarCache.default(settings.cache_dir / "kafka"),
        java_home=settings.env.java_home,
    )


_data_dir = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Broker data dir [default: $CALLSTREAM_KAFKA_DIR or ~/.local/state/callstream/kafka].",
)


@click.group()
def kafka() -> None:
    """Run the local Apache Kafka broker (KRaft, loopback only) for development and tests."""


@kafka.command()
@_data_dir
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Listener port; 0 picks a free one [default: the last one used, else 9092].",
)
@click.option("--heap", default="1g", show_default=True, help="Broker JVM maximum heap.")
@click.option(
    "--timeout", type=float, default=90.0, show_default=True, help="Seconds to wait until ready."
)
@click.option(
    "--security",
    type=click.Choice(MODES),
    default=None,
    help="Secure the client listener: sasl_ssl (SCRAM-SHA-512) or mtls (client certificates); "
    "authorizer on. Only for a new data dir; later starts keep it.",
)
@click.option(
    "--user",
    "users",
    multiple=True,
    help="A user to create besides admin (repeatable; with --security, on first start).",
)
def start(
    data_dir: Path | None,
    port: int | None,
    heap: str,
    timeout: float,
    security: SecurityMode | None,
    users: tuple[str, ...],
) -> None:
    """Start the broker and wait until it answers metadata requests."""
    settings = load_settings()
    broker = _broker(settings, data_dir)
    secured = BrokerSecurity.for_data_dir(broker.data_dir, security, users)
    state = broker.start(
        port=port, heap_max=heap, timeout_s=timeout, progress=_progress, security=secured
    )
    click.echo(f"Kafka {state.kafka_version} is running at {state.bootstrap} (pid {state.pid})")
    click.echo(f"  data: {state.data_dir}")
    click.echo(f"  log:  {broker.log_file}")
    if secured is not None:
        click.echo(f"  security: {secured.mode}, authorizer on, super users admin and broker")
        for user, path in secured.write_env_files(state.bootstrap).items():
            click.echo(f"  connect as {user}: source {path}")


@kafka.command()
@_data_dir
@click.option(
    "--timeout", type=float, default=30.0, show_default=True, help="Seconds before SIGKILL."
)
def stop(data_dir: Path | None, timeout: float) -> None:
    """Stop the broker this data dir records (and nothing else)."""
    settings = load_settings()
    broker = _broker(settings, data_dir)
    stopped = broker.stop(timeout_s=timeout, progress=_progress)
    if stopped is None:
        click.echo(f"No local Kafka broker is running in {broker.data_dir}.")
    else:
        click.echo(f"Stopped Kafka (pid {stopped.pid}); data kept in {stopped.data_dir}.")


@kafka.command()
@_data_dir
@click.option("--json", "as_json", is_flag=True, help="Print the recorded state as JSON.")
def status(data_dir: Path | None, as_json: bool) -> None:
    """Say whether the broker runs; exit 3 when it does not."""
    settings = load_settings()
    current = _broker(settings, data_dir).status()
    if as_json:
        body = {"running": current.running, "note": current.note}
        if current.state is not None:
            body |= asdict(current.state) | {"bootstrap": current.state.bootstrap}
        click.echo(json.dumps(body, indent=2))
    else:
        click.echo(f"Kafka: {current.note}")
    if not current.running:
        sys.exit(EXIT_NOT_RUNNING)


@kafka.command()
def fetch() -> None:
    """Fetch the broker's jars into the cache (Maven, first run only) and print where."""
    settings = load_settings()
    jars = JarCache.default(settings.cache_dir / "kafka")
    click.echo(str(jars.ensure(_progress)))
