"""The ``callstream`` command line: one entry point for every service and tool (SPEC §6).

Each command reads its settings once, here at the edge, and passes them down.
Subcommands import their service lazily so ``callstream --help`` stays fast.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from callstream import __version__
from callstream.errors import CallstreamError, ConfigError
from callstream_cli.dlq import dlq
from callstream_cli.ingress import ingress
from callstream_cli.injector import injector
from callstream_cli.streams import streams
from callstream_cli.topics import topics
from devkit.commands.demo import demo
from devkit.commands.dev import dev
from devkit.commands.emulator import emulator
from devkit.commands.kafka import kafka
from devkit.errors import PrerequisiteMissing

# Exit codes: 1 a runtime failure, 2 bad usage or configuration (fix and rerun).
EXIT_FAILURE = 1
EXIT_CONFIG = 2


class _Group(click.Group):
    """Turns callstream's own errors into one clear line on stderr and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ConfigError, PrerequisiteMissing) as exc:
            click.echo(f"callstream: {exc}", err=True)
            sys.exit(EXIT_CONFIG)
        except CallstreamError as exc:
            click.echo(f"callstream: {exc}", err=True)
            sys.exit(EXIT_FAILURE)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="callstream")
def main() -> None:
    """Connect live voice-AI calls to a Kafka event bus.

    Environment: KAFKA_BOOTSTRAP_SERVERS (unset: the local broker of
    `callstream kafka start`), TELNYX_API_KEY, TELNYX_BASE_URL,
    TELNYX_PUBLIC_KEY, CALLSTREAM_CONFIG, CALLSTREAM_TOPIC_PREFIX,
    CALLSTREAM_INGRESS_TOKEN. See the README for the rest.
    """


main.add_command(demo)
main.add_command(dev)
main.add_command(dlq)
main.add_command(emulator)
main.add_command(ingress)
main.add_command(injector)
main.add_command(kafka)
main.add_command(topics)
main.add_command(streams)
