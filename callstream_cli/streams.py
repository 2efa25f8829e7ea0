"""``callstream streams``: run one streams worker (faust) until SIGTERM."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from callstream.startup import start_service


@click.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="This worker's own faust data dir [default: a fresh temporary dir, removed at exit].",
)
@click.option(
    "--ops-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port of /healthz, /readyz, /metrics; 0 picks a free one [default: streams.ops_port].",
)
def streams(data_dir: Path | None, ops_port: int | None) -> None:
    """Join tool calls, results, call lifecycle and enterprise events; render injections."""
    settings = start_service("streams")
    from streams.worker import run_worker

    sys.exit(run_worker(settings, data_dir=data_dir, ops_port=ops_port))
