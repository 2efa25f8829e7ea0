"""The whole pipeline as separate processes (``LocalPipeline``) on the session's broker.

One pipeline per module: the services take several seconds to start, and the
tests in a module play distinct calls, so they can share it. Topics are under
a prefix of their own, source topics included, so nothing else on the broker
reaches these services.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from callstream.config import AppConfig
from callstream.settings import load_settings
from devkit.dev.config import DEVELOPER_SETTINGS, prefixed_config
from devkit.dev.pipeline import DevOptions, DevPorts, LocalPipeline
from devkit.testing.broker import BrokerHandle


@contextmanager
def running_pipeline(
    broker: BrokerHandle,
    state_dir: Path,
    env: Mapping[str, str] | None = None,
    configure: Callable[[AppConfig], AppConfig] | None = None,
) -> Iterator[LocalPipeline]:
    """Every service running on ``broker`` under a fresh topic prefix, ``env`` added to theirs,
    the demo configuration changed by ``configure``."""
    prefix = f"e2e{uuid.uuid4().hex[:8]}."
    config = prefixed_config(prefix, partitions=4)
    with pytest.MonkeyPatch.context() as patch:
        for name in DEVELOPER_SETTINGS:
            patch.delenv(name, raising=False)
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        patch.setenv("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap)
        patch.setenv("CALLSTREAM_TOPIC_PREFIX", prefix)
        settings = load_settings()
        base_env = dict(os.environ)
    with LocalPipeline(
        settings,
        base_env=base_env,
        state_dir=state_dir,
        options=DevOptions(ports=DevPorts.free(), config=(configure or _same)(config)),
    ) as pipeline:
        yield pipeline
        dead = pipeline.exited()
        assert not dead, f"services died during the tests: {[r.service.name for r in dead]}"


def _same(config: AppConfig) -> AppConfig:
    return config


@pytest.fixture(scope="module")
def pipeline(
    kafka_broker: BrokerHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalPipeline]:
    """Every service running; ``pipeline.target`` is what a scenario player needs."""
    with running_pipeline(kafka_broker, Path(tmp_path_factory.mktemp("dev"))) as running:
        yield running
