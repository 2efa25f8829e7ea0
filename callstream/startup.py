"""What every service process does first: read its settings, set up logging, flag unsafe set-ups.

Called once at a process's entry point (a CLI command, a uvicorn worker's
factory); the settings it returns are passed down from there.
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog

from callstream.credentials import in_use
from callstream.logs import configure_logging
from callstream.settings import Settings, load_settings


def start_service(service: str, *, extra_secrets: Iterable[str] = ()) -> Settings:
    """Load the settings, set up logging for ``service``, warn about published credentials."""
    settings = load_settings()
    env = settings.env
    configure_logging(
        level=env.callstream_log_level,
        fmt=env.callstream_log_format,
        secrets=[*settings.secret_values(), *extra_secrets],
        service=service,
    )
    published = in_use(settings)
    if published:
        structlog.get_logger("callstream.startup").error(
            "published_development_credentials",
            settings=published,
            detail=(
                "these hold credentials published in the callstream repository for local "
                "development; anyone can use them. Set your own before handling real calls."
            ),
        )
    return settings
