"""The configuration the local pipeline runs with: the packaged demo's, optionally under a prefix.

``demo_config`` is what ``callstream dev`` and ``callstream demo`` run when
``CALLSTREAM_CONFIG`` is unset (``demo.yaml`` beside this module: the
reference scenario's two tools on the demo backends, the three sources).
``prefixed_config`` is the same under a run's own topic prefix, for the
end-to-end tests, the fault suite and the benchmark, which also start from
an environment ``without_developer_settings``. ``unpaced`` turns the per-call
rate limit and coalescing off, for the fault suite and the benchmark: they
send every call more than a person could follow, and count each item.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources

from callstream.config import AppConfig, parse_config


def demo_config() -> AppConfig:
    """The packaged demo configuration (the reference scenario's tools on the demo backends)."""
    text = resources.files("devkit.dev").joinpath("demo.yaml").read_text()
    return parse_config(text, origin="demo config")


def prefixed_config(prefix: str, *, partitions: int) -> AppConfig:
    """The demo configuration on ``partitions`` partitions, its source topics under ``prefix``
    as callstream's own are, so runs sharing a broker never read each other's events."""
    base = demo_config()
    sources = {
        name: spec.model_copy(update={"topic": f"{prefix}{spec.topic}"})
        for name, spec in base.sources.items()
    }
    topics = base.topics.model_copy(update={"partitions": partitions})
    return base.model_copy(update={"sources": sources, "topics": topics})


def unpaced(config: AppConfig) -> AppConfig:
    """``config`` with ``guardrails.rate: null``: every injection goes at once, none coalesced
    (quoting, roles and size caps stay on)."""
    guardrails = config.guardrails.model_copy(update={"rate": None})
    return config.model_copy(update={"guardrails": guardrails})


# What a developer may have set that would change what a local run does; runs that set
# up their own pipeline (tests, the fault suite, the benchmark) start without them.
DEVELOPER_SETTINGS = (
    "TELNYX_BASE_URL", "TELNYX_API_KEY", "TELNYX_PUBLIC_KEY", "CALLSTREAM_CONFIG",
    "CALLSTREAM_INGRESS_TOKEN", "CALLSTREAM_TOKEN_CRM", "CALLSTREAM_TOKEN_FRAUD",
    "CALLSTREAM_TOKEN_TICKETING", "CALLSTREAM_EMULATOR_SIGNING_KEY",
    "CALLSTREAM_CONSOLE_TOKEN", "CALLSTREAM_CONSOLE_REPLAY_TOKEN",
)  # fmt: skip


def without_developer_settings(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` less ``DEVELOPER_SETTINGS``."""
    return {name: value for name, value in env.items() if name not in DEVELOPER_SETTINGS}
