"""Fixtures shared by every test: a real Kafka broker for integration tests, isolated topics.

Integration tests (everything under ``tests/integration``) get the broker
from ``devkit.testing.broker``: ``KAFKA_BOOTSTRAP_SERVERS`` if set, else a
testcontainers Kafka when a Docker engine answers, else the local broker from
the official jars. If none can be had, the tests are *skipped loudly* on a
developer machine and *fail* under CI (``CI=true``): CI never hides them.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from callstream.errors import CallstreamError
from callstream.kafka.connection import KafkaConnection
from callstream.paths import default_cache_dir
from devkit.testing.broker import BrokerHandle, provide_broker
from devkit.testing.skips import missing_prerequisite

_BROKER_LINES: list[str] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerHandle]:
    """A running Kafka broker for the whole session."""
    java_home = os.environ.get("JAVA_HOME")
    cache = os.environ.get("CALLSTREAM_CACHE_DIR")
    try:
        with provide_broker(
            work_dir=tmp_path_factory.mktemp("kafka"),
            cache_dir=Path(cache) if cache else default_cache_dir(),
            external_bootstrap=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            java_home=Path(java_home) if java_home else None,
            docker_host=os.environ.get("DOCKER_HOST"),
        ) as handle:
            _BROKER_LINES.append(
                f"integration tests ran against a real broker: {handle.description}"
            )
            yield handle
    except CallstreamError as exc:
        _BROKER_LINES.append(f"NO KAFKA BROKER: integration tests did not run: {exc}")
        missing_prerequisite(f"no Kafka broker for integration tests: {exc}")


@pytest.fixture
def kafka_conn(kafka_broker: BrokerHandle) -> KafkaConnection:
    """A connection to the session's broker."""
    return KafkaConnection(bootstrap_servers=kafka_broker.bootstrap)


@pytest.fixture
def topic_prefix() -> str:
    """A topic prefix no other test uses, so tests share a broker without sharing topics."""
    return f"t{uuid.uuid4().hex[:10]}."


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _BROKER_LINES:
        terminalreporter.write_sep("=", line, bold=True, red="NO KAFKA" in line)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Leave structlog and the root logger as the test found them.

    The processor list is restored in place, never replaced: loggers cached on
    first use (every module-level one) hold that list, and a later test's
    ``capture_logs`` must reach them.
    """
    config = structlog.get_config()
    processors = config["processors"]
    saved = list(processors)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    processors[:] = saved
    structlog.configure(
        processors=processors,
        context_class=config["context_class"],
        logger_factory=config["logger_factory"],
        wrapper_class=config["wrapper_class"],
        cache_logger_on_first_use=config["cache_logger_on_first_use"],
    )
    root.handlers, root.level = handlers, level
    structlog.contextvars.clear_contextvars()
