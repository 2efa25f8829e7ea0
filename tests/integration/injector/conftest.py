"""Fixtures for the injector's integration tests: the emulator over real HTTP, isolated topics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from callstream.kafka import KafkaConnection
from callstream.topics import Topics
from devkit.emulator import EmulatorControl, EmulatorOptions, EmulatorThread
from tests.integration.injector.harness import make_topics

API_KEY = "KEY-injector-integration-0001"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorThread]:
    """The call-control emulator, served over real HTTP on loopback."""
    with EmulatorThread(EmulatorOptions(api_key=API_KEY)) as served:
        yield served


@pytest.fixture
def control(emulator: EmulatorThread) -> Iterator[EmulatorControl]:
    """Its control API, with faults cleared before and after each test."""
    client = EmulatorControl(emulator.url)
    client.clear_faults()
    yield client
    client.clear_faults()
    client.close()


@pytest.fixture
def topics(kafka_conn: KafkaConnection, topic_prefix: str) -> Topics:
    """This test's own topics on the session's broker."""
    return make_topics(kafka_conn, topic_prefix)
