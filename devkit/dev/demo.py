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
from devkit.browser import why_no_browser
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


def play(
    target: Target,
    *,
    timeout_s: float,
    json_path: Path,
    echo: Echo,
    then: Callable[[str], bool] | None = None,
) -> bool:
    """Play the scenario against ``target`` and report it; ``then`` (given the call id) runs
    after the report, and its verdict counts too."""
    waiting = Waiting(echo, tty=sys.stderr.isatty())
    try:
        outcome = ScenarioPlayer(target, timeout_s=timeout_s, progress=waiting).play()
    finally:
        waiting.done()
    ok = report(outcome, json_path, echo)
    return (then(outcome.call_control_id) if then is not None else True) and ok


def screenshots(pipeline: LocalPipeline, call_id: str, out_dir: Path, echo: Echo) -> bool:
    """PNGs of the console's pages, when Playwright and a Chromium are installed; without
    them the demo says so and goes on (it never installs a browser)."""
    missing = why_no_browser()
    if missing is not None:
        echo(f"\nConsole screenshots not taken: {missing}.")
        return True
    from devkit.dev.screenshots import take_screenshots

    try:
        written = take_screenshots(pipeline.console_url, pipeline.console_token, call_id, out_dir)
    except Exception as exc:  # noqa: BLE001 - Playwright's errors have no common base to name
        echo(f"\nConsole screenshots FAILED: {type(exc).__name__}: {exc}", err=True)
        return False
    echo("\nConsole screenshots (Playwright driving the installed Chromium):")
    for path in written:
        echo(f"  {path}")
    return True


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
    screenshot_dir: Path | None = None,
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
        echo(
            f"Console: {pipeline.console_url}  (while the demo runs; its token is "
            f"CALLSTREAM_CONSOLE_TOKEN in {pipeline.env_file})"
        )
        after = None
        if screenshot_dir is not None:
            shots = screenshot_dir

            def after(call_id: str) -> bool:
                return screenshots(pipeline, call_id, shots, echo)

        return play(
            pipeline.target, timeout_s=timeout_s, json_path=json_path, echo=echo, then=after
        )
