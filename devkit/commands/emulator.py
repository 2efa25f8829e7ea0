"""``callstream emulator``: the call-control emulator as the remote side, on this machine."""

from __future__ import annotations

import click

from callstream.errors import ConfigError
from callstream.startup import start_service


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8090, show_default=True)
@click.option(
    "--ingress-url",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="Where lifecycle webhooks and the assistant's tool calls go.",
)
@click.option("--no-ingress", is_flag=True, help="Send nothing: only answer Add Messages.")
@click.option("--base-path", default="/v2", show_default=True, help="Path prefix of the API.")
@click.option(
    "--dedupe-window", type=click.FloatRange(min=0), default=60.0, show_default=True,
    help="Seconds a command_id is remembered per call (the real API promises 60).",
)  # fmt: skip
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0, show_default=True)
@click.option("--latency-jitter-ms", type=click.FloatRange(min=0), default=0.0, show_default=True)
def emulator(
    host: str,
    port: int,
    ingress_url: str,
    no_ingress: bool,
    base_path: str,
    dedupe_window: float,
    latency_ms: float,
    latency_jitter_ms: float,
) -> None:
    """Serve a faithful stand-in for the call-control Add Messages API.

    It accepts TELNYX_API_KEY as the bearer key, answers 404 for unknown calls
    and 422/90018 after hangup, dedupes command_id per call, and keeps a
    transcript per call under /_emulator. It also plays the platform: signed
    call-control webhooks and the assistant's async tools go to --ingress-url,
    signed with CALLSTREAM_EMULATOR_SIGNING_KEY (generated when unset; the
    public key to give the ingress as TELNYX_PUBLIC_KEY is printed).
    """
    from devkit.emulator import EmulatorOptions, Faults, build_server
    from devkit.emulator.peer import IngressPeer
    from devkit.emulator.webhooks import WebhookSigner

    settings = start_service("emulator")
    env = settings.env
    if env.telnyx_api_key is None:
        raise ConfigError("TELNYX_API_KEY is not set: the emulator accepts only that bearer key")
    seed = env.callstream_emulator_signing_key
    try:
        signer = (
            WebhookSigner.from_seed_b64(seed.get_secret_value())
            if seed
            else WebhookSigner.generate()
        )
    except ValueError as exc:
        raise ConfigError(f"CALLSTREAM_EMULATOR_SIGNING_KEY: {exc}") from exc
    token = env.callstream_ingress_token
    peer = None if no_ingress else IngressPeer(
        url=ingress_url.rstrip("/"),
        signing_seed_b64=signer.seed_b64,
        token=token.get_secret_value() if token else None,
    )  # fmt: skip
    options = EmulatorOptions(
        api_key=env.telnyx_api_key.get_secret_value(),
        host=host,
        port=port,
        base_path=base_path,
        dedupe_window_s=dedupe_window,
        faults=Faults(latency_ms=latency_ms, latency_jitter_ms=latency_jitter_ms),
        peer=peer,
    )
    root = f"http://{host}:{port}"
    click.echo(f"call-control emulator on {root}  (TELNYX_BASE_URL={root}{base_path})")
    click.echo(f"  control API: {root}/_emulator  (calls, transcripts, faults)")
    if peer is not None:
        click.echo(f"  webhooks and tools to {peer.url}; TELNYX_PUBLIC_KEY={signer.public_key_b64}")
    build_server(options).run()
