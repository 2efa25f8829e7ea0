"""The ``callstream`` command line: one entry point for every service and tool.

Each command reads its settings once, here at the edge, and passes them down.
Subcommands import their service lazily so ``callstream --help`` stays fast.
The development commands (``dev``, ``demo``, ``emulator``, ``kafka``) come
from devkit and are offered only where it is installed; elsewhere (the
production image, ``pip install callstream``) they say how to get it.
"""

from __future__ import annotations

import sys
from importlib.util import find_spec
from typing import Any

import click

from callstream import __version__
from callstream.errors import CallstreamError, ConfigError
from callstream_cli.console import console
from callstream_cli.dlq import dlq
from callstream_cli.ingress import ingress
from callstream_cli.injector import injector
from callstream_cli.streams import streams
from callstream_cli.topics import topics

# Exit codes: 1 a runtime failure, 2 bad usage or configuration (fix and rerun).
EXIT_FAILURE = 1
EXIT_CONFIG = 2

DEVKIT_COMMANDS = ("demo", "dev", "emulator", "kafka")


class _Group(click.Group):
    """Turns callstream's own errors into one clear line on stderr and an exit code."""

    usage_errors: tuple[type[Exception], ...] = (ConfigError,)
    """Errors the user fixes before running again (exit 2); devkit adds its own."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in DEVKIT_COMMANDS:
            return _needs_devkit(cmd_name)
        return found

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command's first sentence whole, wrapped, never cut off with an ellipsis."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            # click's own form is a usage block, a hint and the error: one line says it.
            where = exc.ctx.command_path if exc.ctx else "callstream"
            click.echo(f"{where}: {exc.format_message()} (see {where} --help)", err=True)
            sys.exit(EXIT_CONFIG)
        except self.usage_errors as exc:
            click.echo(f"callstream: {exc}", err=True)
            sys.exit(EXIT_CONFIG)
        except CallstreamError as exc:
            click.echo(f"callstream: {exc}", err=True)
            sys.exit(EXIT_FAILURE)


def _needs_devkit(name: str) -> click.Command:
    """A stand-in for a devkit command where devkit is not installed."""

    def explain() -> None:
        raise ConfigError(
            f"`{name}` is a development command from devkit, which is not installed here: "
            "in a clone of the repository, `make install` installs it"
        )

    return click.Command(
        name,
        callback=explain,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        add_help_option=False,
    )


def create_cli(*, with_devkit: bool) -> click.Group:
    """The ``callstream`` group; the devkit commands only ``with_devkit``."""

    @click.group("callstream", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="callstream")
    def cli() -> None:
        """Connect live voice-AI calls to a Kafka event bus.

        Environment: KAFKA_BOOTSTRAP_SERVERS (unset: the local broker of
        `callstream kafka start`), TELNYX_API_KEY, TELNYX_BASE_URL,
        TELNYX_PUBLIC_KEY, CALLSTREAM_CONFIG, CALLSTREAM_TOPIC_PREFIX,
        CALLSTREAM_INGRESS_TOKEN. See the README for the rest.
        """

    for command in (console, dlq, ingress, injector, topics, streams):
        cli.add_command(command)
    if with_devkit:
        from devkit.commands import COMMANDS, USAGE_ERRORS

        for command in COMMANDS:
            cli.add_command(command)
        assert isinstance(cli, _Group)
        cli.usage_errors = (ConfigError, *USAGE_ERRORS)
    return cli


main = create_cli(with_devkit=find_spec("devkit") is not None)
