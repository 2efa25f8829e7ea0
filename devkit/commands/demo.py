"""``callstream demo``: the reference scenario end to end, with the call's timeline."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from callstream.errors import ConfigError
from callstream.settings import load_settings


@click.command()
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("callstream-demo-timeline.json"),
    show_default=True,
    help="Where to write the timeline as JSON.",
)
@click.option(
    "--screenshots",
    "screenshot_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=(
        "Write PNG screenshots of the console's pages here (needs Playwright and an installed "
        "chromium; without them the demo says so and goes on)."
    ),
)
@click.option(
    "--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait for each step."
)
@click.option(
    "--attach",
    is_flag=True,
    help="Play against a pipeline that is already running (see --ingress-url, --emulator-url).",
)
@click.option(
    "--ingress-url",
    envvar="CALLSTREAM_INGRESS_URL",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="With --attach: the ingress [env: CALLSTREAM_INGRESS_URL, set by the dev env file].",
)
@click.option(
    "--emulator-url",
    envvar="CALLSTREAM_EMULATOR_URL",
    default="http://127.0.0.1:8090",
    show_default=True,
    help="With --attach: the emulator [env: CALLSTREAM_EMULATOR_URL, set by the dev env file].",
)
def demo(
    json_path: Path,
    screenshot_dir: Path | None,
    timeout: float,
    attach: bool,
    ingress_url: str,
    emulator_url: str,
) -> None:
    """Play the reference scenario end to end and print the call's timeline.

    Starts the whole pipeline in the background (as `callstream dev` does, on
    free ports, with the packaged demo configuration) in a temporary state dir
    with a Kafka broker of its own, and removes it all at the end; with
    KAFKA_BOOTSTRAP_SERVERS set it uses that cluster under a topic prefix of
    its own and deletes those topics at the end.

    Then: a call starts; the assistant fires check_loyalty_points and
    lookup_order_status at once; their results arrive as the lookups
    complete; a CRM update by phone number, a fraud alert by customer id and a
    supervisor note follow; the caller hangs up; a late ticket update is
    dead-lettered. Exits 0 only if every expected message arrived once, in order.
    """
    from callstream.kafka import resolve_connection, wait_for_broker
    from devkit.dev.demo import play, run_demo
    from devkit.dev.player import Target

    settings = load_settings()
    if attach:
        token = settings.env.callstream_ingress_token
        if token is None:
            raise ConfigError("--attach needs CALLSTREAM_INGRESS_TOKEN, the ingress's token")
        conn = resolve_connection(settings)
        wait_for_broker(
            conn,
            settings.env.callstream_kafka_wait_s,
            say=lambda line: click.echo(f"callstream: {line}", err=True),
        )
        target = Target(
            ingress_url=ingress_url.rstrip("/"),
            emulator_url=emulator_url.rstrip("/"),
            token=token.get_secret_value(),
            conn=conn,
            topics=settings.topics,
        )
        ok = play(target, timeout_s=timeout, json_path=json_path, echo=click.echo)
    else:
        ok = run_demo(
            settings,
            base_env=os.environ,
            timeout_s=timeout,
            json_path=json_path,
            echo=click.echo,
            screenshot_dir=screenshot_dir,
        )
    sys.exit(0 if ok else 1)
