"""Default places on disk for callstream's caches and local state (per user, outside the repo)."""

from __future__ import annotations

from pathlib import Path

import platformdirs


def default_cache_dir() -> Path:
    """Where fetched artefacts (the Kafka jars) are kept: ``~/.cache/callstream`` on Linux."""
    return platformdirs.user_cache_path("callstream")


def default_kafka_dir() -> Path:
    """The local broker's data dir: ``~/.local/state/callstream/kafka`` on Linux."""
    return platformdirs.user_state_path("callstream") / "kafka"
