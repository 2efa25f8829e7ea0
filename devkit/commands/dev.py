"""``callstream dev``: the whole pipeline on this machine until Ctrl-C."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import click
import platformdirs

from callstream.settings import load_settings


def default_state_dir() -> Path:
    return platformdirs.user_state_path("callstream") / "dev"


def _stop_on_signals() -> None:
    """SIGINT and SIGTERM stop the run, however it was started.

    Python leaves SIGINT ignored when it starts so (a background job of a
    script, ``nohup``), so Ctrl-C's handler is installed here, not assumed.
    The first signal unwinds into the clean-up; later ones must not interrupt
    that clean-up halfway, leaving services behind, so they are only noted.
    """

    def stop(signum: int, _: FrameType | None) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, stopping)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    def stopping(signum: int, _: FrameType | None) -> None:
        click.echo(f"{signal.Signals(signum).name}: already stopping everything", err=True)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)


@click.command()
@click.option(
    "--free-ports", is_flag=True, help="Pick free ports instead of 8000-8003, 8090 and 8100."
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Logs, generated config and env file [default: ~/.local/state/callstream/dev].",
)
def dev(free_ports: bool, state_dir: Path | None) -> None:
    """Run everything locally: broker, topics, ingress, streams, injector, console, demo backends.

    When TELNYX_BASE_URL is unset the bundled call-control emulator plays the
    remote side. Each service is a separate process with its log in the state
    dir; Ctrl-C stops everything this command started.
    """
    from devkit.dev.pipeline import DevOptions, DevPorts, LocalPipeline, check_ports_free

    settings = load_settings()
    ports = DevPorts.free() if free_ports else DevPorts()
    if not free_ports:
        check_ports_free(ports)
    state = state_dir or default_state_dir()
    _stop_on_signals()

    def progress(line: str) -> None:
        click.echo(f"  {line}", err=True)

    try:
        with LocalPipeline(
            settings,
            base_env=os.environ,
            state_dir=state,
            options=DevOptions(ports=ports),
            progress=progress,
        ) as pipeline:
            click.echo("callstream is running:")
            click.echo(f"  ingress     {pipeline.ingress_url}  (docs: {pipeline.ingress_url}/docs)")
            click.echo(f"  streams     http://127.0.0.1:{ports.streams_ops}/metrics")
            click.echo(f"  injector    http://127.0.0.1:{ports.injector_ops}/metrics")
            click.echo(
                f"  console     {pipeline.console_url}  (log in with $CALLSTREAM_CONSOLE_TOKEN "
                "from the credentials file below)"
            )
            if pipeline.uses_emulator:
                click.echo(
                    f"  emulator    {pipeline.emulator_url}/_emulator/calls  (the remote side)"
                )
            click.echo(f"  backends    http://127.0.0.1:{ports.backends}  (orders, loyalty)")
            click.echo(f"  kafka       {pipeline.env['KAFKA_BOOTSTRAP_SERVERS']}")
            click.echo(f"  logs        {state / 'logs'}")
            click.echo(f"  credentials source {pipeline.env_file}")
            click.echo("Ctrl-C stops everything.")
            while not (dead := pipeline.exited()):
                time.sleep(0.5)  # a supervisor's watch interval, not synchronisation
            for running in dead:
                click.echo(
                    f"{running.service.name} exited ({running.process.returncode}); "
                    f"end of its log:\n"
                    f"{running.log_tail()}",
                    err=True,
                )
            sys.exit(1)
    except KeyboardInterrupt:
        click.echo("stopped.", err=True)
