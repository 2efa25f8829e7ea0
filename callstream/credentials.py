"""Development credentials that are published in this repository, and spotting them in use.

``docker-compose.yml`` defaults to these so that ``docker compose --profile
dev up`` works with no set-up. They are public: anyone can sign webhooks
with the signing key or post events with the token. ``in_use`` lets every
service say so, loudly, at start, so they never pass unnoticed in production.
"""

from __future__ import annotations

from callstream.settings import Settings

DEV_API_KEY = "dev-only-not-a-telnyx-key"
DEV_INGRESS_TOKEN = "dev-only-ingress-token"  # noqa: S105 - published on purpose, flagged at start
DEV_CONSOLE_TOKEN = "dev-only-console-token"  # noqa: S105 - published on purpose, flagged at start
DEV_SIGNING_SEED = "E3EYZaaQ08EJxzrc3ZRne7oOQjmEi7BDS5jtaf2naus="
DEV_PUBLIC_KEY = "4jaMM5WFU1vDkHMWwLeJqwFXZG3EdqEK15vcG3dmJT0="

_PUBLISHED = {DEV_API_KEY, DEV_INGRESS_TOKEN, DEV_CONSOLE_TOKEN, DEV_SIGNING_SEED}


def in_use(settings: Settings) -> list[str]:
    """The names of the settings that hold a published development credential."""
    env = settings.env
    found = []
    if env.telnyx_public_key == DEV_PUBLIC_KEY:
        found.append("TELNYX_PUBLIC_KEY")
    secrets = {
        "TELNYX_API_KEY": env.telnyx_api_key,
        "CALLSTREAM_INGRESS_TOKEN": env.callstream_ingress_token,
        "CALLSTREAM_CONSOLE_TOKEN": env.callstream_console_token,
        "CALLSTREAM_CONSOLE_REPLAY_TOKEN": env.callstream_console_replay_token,
        "CALLSTREAM_EMULATOR_SIGNING_KEY": env.callstream_emulator_signing_key,
        **{f"token of source {name!r}": token for name, token in settings.source_tokens.items()},
    }
    found += [
        name
        for name, value in secrets.items()
        if value is not None and value.get_secret_value() in _PUBLISHED
    ]
    return found
