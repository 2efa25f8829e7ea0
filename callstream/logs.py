"""Structured JSON logging for every callstream process, with secrets scrubbed.

One line per event, JSON by default, carrying ``call_control_id``,
``request_id`` and ``injection_id`` wherever the caller binds them. Library
logs (uvicorn, librdkafka) go through the same renderer, so an on-call
engineer greps one format. Secrets are never logged on purpose; the redactor
is the second wall, replacing any configured secret value that slips into a
line, including tracebacks.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, Literal

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

REDACTED = "[REDACTED]"
# Shorter values would scrub innocent text; no real secret is this short.
MIN_SECRET_LENGTH = 6


class RedactSecrets:
    """A structlog processor replacing every known secret value, at any depth, with a marker."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted(
            {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True
        )

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self._secrets:
                if secret in value:
                    value = value.replace(secret, REDACTED)
            return value
        if isinstance(value, dict):
            return {key: self._scrub(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._scrub(item) for item in value)
        return value

    def __call__(self, _: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        if not self._secrets:
            return event_dict
        scrubbed: MutableMapping[str, Any] = event_dict
        for key, value in list(event_dict.items()):
            scrubbed[key] = self._scrub(value)
        return event_dict


def configure_logging(
    *,
    level: str = "INFO",
    fmt: Literal["json", "console"] = "json",
    secrets: Iterable[str] = (),
    service: str | None = None,
) -> None:
    """Route structlog and standard-library logging through one renderer on stderr."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
        exceptions: Processor = structlog.processors.dict_tracebacks
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        exceptions = structlog.processors.format_exc_info
    # In place: a logger cached on first use holds this very list, so it follows a
    # reconfiguration, as structlog.testing.capture_logs (which swaps the list's
    # contents) relies on.
    processors = structlog.get_config()["processors"]
    # A line below the level is dropped before any processor runs: the per-record debug
    # lines of the streams worker and the injector then cost a level check, not a
    # timestamp and a context merge each.
    processors[:] = [
        structlog.stdlib.filter_by_level,
        *shared,
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ]
    structlog.configure(
        processors=processors,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        # ``repeats``: how many like lines a throttled library log held back (librdkafka's).
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(allow=["repeats"])],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            exceptions,
            RedactSecrets(secrets),
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    structlog.contextvars.clear_contextvars()
    if service:
        structlog.contextvars.bind_contextvars(service=service)
