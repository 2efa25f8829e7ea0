"""``callstream demo``: start the pipeline (or attach to one), play the scenario, report.

Kept apart from the CLI so the end-to-end tests run exactly what the command
runs. Output goes through ``echo`` (the CLI's click.echo); the return value
says whether every expectation held.
"""

from __future__ import annotations

import secrets
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from callstream.settings import Settings
from devkit.dev.config import demo_config, prefixed_config
from devkit.dev.pipeline import DevOptions, DevPorts, LocalPipeline
from devkit.dev.player import Outcome, ScenarioPlayer, Target
from devkit.dev.timeline import render_table, to_json

Echo = Callable[..., None]
"""``click.echo``-shaped: ``echo(text, err=False, nl=True)``."""

LEGEND = "> action, + message delivered, x dead-lettered, ~ followed up"
ERASE_LINE = "\x1b[K"  # ANSI: erase from the cursor to the end of the line


class Waiting:
    """One progress line per awaited thing; redrawn in place on a terminal."""

    def __init__(self, echo: Echo, *, tty: bool) -> None:
        self._echo = echo
        self._tty = tty
        self._current = ""

    def __call__(self, what: str, waited_s: float) -> None:
        if self._tty:
            # Back to the line's start and erase it: a shorter line leaves nothing behind.
            line = f"\r{ERASE_LINE}  waiting for {what} ... {waited_s:4.1f} s"
            self._echo(line, nl=False, err=True)
        elif what != self._current:
            self._echo(f"  waiting for {what}", err=True)
        self._current = what

    def done(self) -> None:
        if self._tty and self._current:
            self._echo("", err=True)


def report(outcome: Outcome, json_path: Path, echo: Echo) -> bool:
    """Print the timeline and the verdict, write the JSON; True when all held."""
    echo(f"\nTimeline of call {outcome.call_control_id}  ({LEGEND})")
    echo(render_table(outcome.rows, start=outcome.started_at))
    if outcome.guardrails:
        echo("\nGuardrails (from the injection records):")
        for line in outcome.guardrails:
            echo(f"  {line}")
    quoted = [row for row in outcome.rows if row.kind == "delivered" and "<<<DATA" in row.text]
    crm = [row for row in quoted if row.source.startswith("crm")]
    if crm:
        echo(f"\nWhat the assistant received for the CRM updates ({crm[0].source}):")
        for line in crm[0].text.split("\n"):
            echo(f"  | {line}")
    json_path.write_text(
        to_json(
            outcome.rows,
            call_control_id=outcome.call_control_id,
            start=outcome.started_at,
            problems=outcome.problems,
        )
    )
    echo(f"\ntimeline written to {json_path}")
    if outcome.problems:
        echo("FAILED:", err=True)
        for problem in outcome.problems:
            echo(f"  - {problem}", err=True)
        return False
    echo(
        "OK: every expected message reached the call once, in order; "
        "the late event was dead-lettered call_ended; the late lookup was followed up by SMS."
    )
    return True


def play(target: Target, *, timeout_s: float, json_path: Path, echo: Echo) -> bool:
    """Play the scenario against ``target`` and report it."""
    waiting = Waiting(echo, tty=sys.stderr.isatty())
    try:
        outcome = ScenarioPlayer(target, timeout_s=timeout_s, progress=waiting).play()
    finally:
        waiting.done()
    return report(outcome, json_path, echo)


def throwaway_options(*, external: bool) -> DevOptions:
    """What ``run_demo`` runs with: free ports, the packaged demo configuration, and either a
    broker of its own or, on an ``external`` cluster, topics of its own deleted at the end."""
    if not external:
        return DevOptions(ports=DevPorts.free(), config=demo_config(), own_broker=True)
    prefix = f"demo{secrets.token_hex(4)}."
    return DevOptions(
        ports=DevPorts.free(),
        config=prefixed_config(prefix, partitions=demo_config().topics.partitions),
        topic_prefix=prefix,
        drop_topics=True,
    )


def run_demo(
    settings: Settings,
    *,
    base_env: Mapping[str, str],
    timeout_s: float,
    json_path: Path,
    echo: Echo,
    options: DevOptions | None = None,
) -> bool:
    """Start the whole pipeline on free ports in a throw-away state dir, play, stop it.

    Nothing is left behind: the broker is one of the demo's own, in that state
    dir on a free port, or, when ``KAFKA_BOOTSTRAP_SERVERS`` names a cluster,
    the topics live under a prefix of the demo's own and are deleted at the end.
    """
    echo("Starting the pipeline (broker, topics, emulator, backends, services)...", err=True)
    external = bool(settings.env.kafka_bootstrap_servers)
    with (
        tempfile.TemporaryDirectory(prefix="callstream-demo-") as state,
        LocalPipeline(
            settings,
            base_env=base_env,
            state_dir=Path(state),
            options=options or throwaway_options(external=external),
            progress=lambda line: echo(f"  {line}", err=True),
        ) as pipeline,
    ):
        echo("Pipeline ready; playing the reference scenario.", err=True)
        return play(pipeline.target, timeout_s=timeout_s, json_path=json_path, echo=echo)
