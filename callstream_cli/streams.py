"""``callstream streams``: run one streams worker until SIGTERM or SIGINT."""

from __future__ import annotations

import re
import sys

import click

from callstream.startup import start_service
from callstream_cli.broker import reach_kafka

# Kafka's rule for a group.instance.id (it is used as one).
_WORKER_ID = re.compile(r"[A-Za-z0-9._-]{1,200}")


def _worker_id(_: click.Context, __: click.Parameter, value: str | None) -> str | None:
    if value is not None and not _WORKER_ID.fullmatch(value):
        raise click.BadParameter("use 1-200 letters, digits, '.', '_' or '-'")
    return value or None


@click.command()
@click.option(
    "--worker-id",
    envvar="CALLSTREAM_WORKER_ID",
    default=None,
    callback=_worker_id,
    help=(
        "Stable id of this worker (e.g. the pod name of a StatefulSet): a restart within "
        "streams.session_timeout_s keeps its partitions without a rebalance. Unique among "
        "live workers. [env: CALLSTREAM_WORKER_ID; default: none, dynamic membership]"
    ),
)
@click.option(
    "--ops-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port of /healthz, /readyz, /metrics; 0 picks a free one [default: streams.ops_port].",
)
def streams(worker_id: str | None, ops_port: int | None) -> None:
    """Join tool calls, results, call lifecycle and enterprise events; render injections."""
    settings = start_service("streams")
    reach_kafka(settings)
    from streams.worker import run_worker

    sys.exit(run_worker(settings, worker_id=worker_id, ops_port=ops_port))
