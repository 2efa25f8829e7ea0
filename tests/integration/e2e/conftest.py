"""The whole pipeline as separate processes (``DevStack``) on the session's broker.

One stack per module: the services take several seconds to start, and the
tests in a module play distinct calls, so they can share it. Topics are under
a prefix of their own, source topics included, so nothing else on the broker
reaches these services.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from callstream.config import AppConfig
from callstream.settings import load_settings
from callstream.topics import Topics
from devkit.dev.config import demo_config
from devkit.dev.pipeline import DevOptions, DevPorts, DevStack
from devkit.dev.player import Target
from devkit.testing.broker import BrokerHandle

# Variables a developer may have set that would change what the stack runs.
_CLEARED = [
    "TELNYX_BASE_URL", "TELNYX_API_KEY", "TELNYX_PUBLIC_KEY", "CALLSTREAM_CONFIG",
    "CALLSTREAM_INGRESS_TOKEN", "CALLSTREAM_TOKEN_CRM", "CALLSTREAM_TOKEN_FRAUD",
    "CALLSTREAM_TOKEN_TICKETING",
]  # fmt: skip


def e2e_config(prefix: str) -> AppConfig:
    """The demo configuration on 4 partitions, with this module's own source topics."""
    base = demo_config()
    sources = {
        name: spec.model_copy(update={"topic": f"{prefix}{spec.topic}"})
        for name, spec in base.sources.items()
    }
    topics = base.topics.model_copy(update={"partitions": 4})
    return base.model_copy(update={"sources": sources, "topics": topics})


@contextmanager
def running_pipeline(
    broker: BrokerHandle, state_dir: Path, env: Mapping[str, str] | None = None
) -> Iterator[tuple[DevStack, Target]]:
    """Every service running on ``broker`` under a fresh topic prefix, ``env`` added to theirs."""
    prefix = f"e2e{uuid.uuid4().hex[:8]}."
    with pytest.MonkeyPatch.context() as patch:
        for name in _CLEARED:
            patch.delenv(name, raising=False)
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        patch.setenv("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap)
        patch.setenv("CALLSTREAM_TOPIC_PREFIX", prefix)
        settings = load_settings()
        base_env = dict(os.environ)
    config = e2e_config(prefix)
    with DevStack(
        settings,
        base_env=base_env,
        state_dir=state_dir,
        options=DevOptions(ports=DevPorts.free(), config=config),
    ) as stack:
        assert stack.conn is not None
        target = Target(
            ingress_url=stack.ingress_url,
            emulator_url=stack.emulator_url,
            token=stack.env["CALLSTREAM_INGRESS_TOKEN"],
            conn=stack.conn,
            topics=Topics(prefix=prefix, sources={n: s.topic for n, s in config.sources.items()}),
        )
        yield stack, target
        dead = stack.exited()
        assert not dead, f"services died during the tests: {[r.spec.name for r in dead]}"


@pytest.fixture(scope="module")
def pipeline(
    kafka_broker: BrokerHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DevStack, Target]]:
    """Every service running, and the target a scenario player needs."""
    with running_pipeline(kafka_broker, Path(tmp_path_factory.mktemp("dev"))) as running:
        yield running
