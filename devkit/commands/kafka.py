"""``callstream kafka start|stop|status|fetch``: the local development broker."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from callstream.settings import Settings, load_settings
from devkit.localkafka import JarCache, LocalBroker
from devkit.localkafka.cluster import LocalCluster
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


def _cluster(settings: Settings, data_dir: Path | None, brokers: int) -> LocalCluster:
    return LocalCluster(
        data_dir or settings.kafka_dir,
        JarCache.default(settings.cache_dir / "kafka"),
        brokers=brokers,
        java_home=settings.env.java_home,
    )


def _recorded_cluster(settings: Settings, data_dir: Path | None) -> LocalCluster | None:
    """The cluster the data dir holds, or None when it holds a single broker (or nothing)."""
    return LocalCluster.recorded(
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
@click.option(
    "--brokers",
    type=click.IntRange(1, 9),
    default=1,
    show_default=True,
    help="Brokers; more than 1 starts a KRaft cluster on free ports, kept for its data dir.",
)
@click.option(
    "--heap", default=None, help="Each broker's JVM maximum heap [default: 1g; 512m in a cluster]."
)
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
    brokers: int,
    heap: str | None,
    timeout: float,
    security: SecurityMode | None,
    users: tuple[str, ...],
) -> None:
    """Start the broker (or a cluster) and wait until it answers metadata requests."""
    settings = load_settings()
    if brokers > 1 and (security or users):
        raise click.UsageError(
            "--security and --user start a single secured broker; a cluster (--brokers) is "
            "plaintext",
            ctx=click.get_current_context(),
        )
    if brokers > 1:
        _start_cluster(settings, data_dir, port, brokers, heap or "512m", timeout)
        return
    if _recorded_cluster(settings, data_dir) is not None:
        raise click.UsageError(
            f"{data_dir or settings.kafka_dir} holds a cluster: start it with --brokers N "
            "(as `callstream kafka status` shows), or use another --data-dir",
            ctx=click.get_current_context(),
        )
    broker = _broker(settings, data_dir)
    secured = BrokerSecurity.for_data_dir(broker.data_dir, security, users)
    state = broker.start(
        port=port, heap_max=heap or "1g", timeout_s=timeout, progress=_progress, security=secured
    )
    click.echo(f"Kafka {state.kafka_version} is running at {state.bootstrap} (pid {state.pid})")
    click.echo(f"  data: {state.data_dir}")
    click.echo(f"  log:  {broker.log_file}")
    if secured is not None:
        click.echo(f"  security: {secured.mode}, authorizer on, super users admin and broker")
        for user, path in secured.write_env_files(state.bootstrap).items():
            click.echo(f"  connect as {user}: source {path}")


def _start_cluster(
    settings: Settings,
    data_dir: Path | None,
    port: int | None,
    brokers: int,
    heap: str,
    timeout: float,
) -> None:
    if port is not None:
        raise click.UsageError(
            "--port is for a single broker: a cluster picks free ports at its first start and "
            "keeps them",
            ctx=click.get_current_context(),
        )
    cluster = _cluster(settings, data_dir, brokers)
    layout = cluster.start(heap_max=heap, timeout_s=timeout, progress=_progress)
    click.echo(
        f"Kafka cluster of {len(layout.nodes)} brokers is running (KRaft, each node a broker "
        "and a controller)"
    )
    for node in layout.nodes:
        state = cluster.node(node.node_id).status().state
        pid = state.pid if state else None
        click.echo(f"  node {node.node_id}: 127.0.0.1:{node.port} (pid {pid})")
    click.echo(f"  data: {cluster.data_dir}")
    click.echo(f"  use:  export KAFKA_BOOTSTRAP_SERVERS={layout.bootstrap}")
    click.echo(f"        callstream topics create --replication-factor {layout.replication_factor}")


@kafka.command()
@_data_dir
@click.option(
    "--timeout", type=float, default=30.0, show_default=True, help="Seconds before SIGKILL."
)
def stop(data_dir: Path | None, timeout: float) -> None:
    """Stop the broker (or every node of the cluster) this data dir records, nothing else."""
    settings = load_settings()
    cluster = _recorded_cluster(settings, data_dir)
    if cluster is not None:
        nodes = cluster.stop(timeout_s=timeout, progress=_progress)
        pids = ", ".join(str(state.pid) for state in nodes) or "none was running"
        click.echo(f"Stopped the Kafka cluster (pids: {pids}); data kept in {cluster.data_dir}.")
        return
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
    """Say whether the broker (every node of a cluster) runs; exit 3 when it does not."""
    settings = load_settings()
    cluster = _recorded_cluster(settings, data_dir)
    if cluster is not None:
        _cluster_status(cluster, as_json)
        return
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


def _cluster_status(cluster: LocalCluster, as_json: bool) -> None:
    current = cluster.status()
    if as_json:
        body: dict[str, object] = {"running": current.running, "note": current.note}
        if current.layout is not None:
            body["bootstrap"] = current.layout.bootstrap
            body["cluster_id"] = current.layout.cluster_id
        body["nodes"] = {
            str(node_id): {"running": status.running, "note": status.note}
            | (asdict(status.state) if status.state else {})
            for node_id, status in current.nodes.items()
        }
        click.echo(json.dumps(body, indent=2))
    else:
        click.echo(f"Kafka cluster: {current.note}")
        for node_id, status in current.nodes.items():
            click.echo(f"  node {node_id}: {status.note}")
    if not current.running:
        sys.exit(EXIT_NOT_RUNNING)


@kafka.command()
def fetch() -> None:
    """Fetch the broker's jars into the cache (Maven, first run only) and print where."""
    settings = load_settings()
    jars = JarCache.default(settings.cache_dir / "kafka")
    click.echo(str(jars.ensure(_progress)))
