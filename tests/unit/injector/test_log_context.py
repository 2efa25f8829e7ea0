"""While the injector handles an injection, every line it logs names the call and the injection."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, cast

import pytest
import structlog
from confluent_kafka import Message
from prometheus_client import CollectorRegistry
from pydantic import SecretStr
from structlog.testing import capture_logs

from callstream.config import InjectorConfig
from callstream.ops.health import Health
from callstream.records import Injection, encode
from injector.client import AddMessagesClient, RawReply
from injector.memory import RecentSet
from injector.metrics import InjectorMetrics
from injector.recorder import Recorder
from injector.service import Injector
from tests.unit.injector.factories import T0, make_injection

TOPIC = "t.injections"


class Remote:
    """Answers every Add Messages request with one status."""

    def __init__(self, status: int) -> None:
        self.status = status

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> RawReply:
        return RawReply(self.status, None, b"{}")

    async def aclose(self) -> None:
        return None


class Producer:
    """Keeps what is produced and acknowledges it at the next poll."""

    def __init__(self) -> None:
        self.produced: list[str] = []
        self._unacknowledged: list[Callable[[Any, Any], None]] = []

    def produce(self, topic: str, value: Any = None, key: Any = None, **kw: Any) -> None:
        self.produced.append(topic)
        self._unacknowledged.append(kw["on_delivery"])

    def poll(self, timeout: float = 0) -> int:
        done, self._unacknowledged = self._unacknowledged, []
        for acknowledge in done:
            acknowledge(None, None)
        return len(done)

    def flush(self, timeout: float = 0) -> int:
        return self.poll()

    def close(self) -> bool:
        return True


class Record:
    """A consumed record, as much of ``confluent_kafka.Message`` as the injector reads."""

    def __init__(self, offset: int, value: bytes) -> None:
        self._offset, self._value = offset, value

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes:
        return b"key"

    def value(self) -> bytes:
        return self._value


def _injector(status: int, producer: Producer) -> Injector:
    return Injector(
        config=InjectorConfig(),
        topic=TOPIC,
        client=AddMessagesClient(
            base_url="http://remote/v2", api_key=SecretStr("k" * 12), sender=Remote(status)
        ),
        recorder=Recorder(
            producer, deliveries_topic="t.deliveries", dlq_topic="t.dlq", on_failure=print
        ),
        health=Health(),
        metrics=InjectorMetrics(CollectorRegistry()),
        ledger=RecentSet(max_size=100, horizon_s=60),
        ended_calls=RecentSet(max_size=100, horizon_s=60),
        wall_clock=lambda: T0,  # the injections' own time: none has expired
    )


async def _handle(status: int, *values: bytes, until: str, times: int = 1) -> list[dict[str, Any]]:
    """The log lines of the injector handling ``values`` (consumed in that order), once it
    has logged ``until`` ``times`` times."""
    injector = _injector(status, Producer())
    injector.on_assigned([0])
    records = [Record(offset, value) for offset, value in enumerate(values)]
    seen, done = [0], asyncio.Event()

    def count(_: Any, __: str, event: Any) -> Any:
        seen[0] += event["event"] == until
        if seen[0] >= times:
            done.set()
        return event

    processors = [structlog.contextvars.merge_contextvars, count]
    with capture_logs(processors=processors) as logs:
        injector.on_records(cast(list[Message], records))
        await asyncio.wait_for(done.wait(), timeout=10)
    return logs


def _first(event: str, logs: list[dict[str, Any]]) -> dict[str, Any]:
    return next(line for line in logs if line["event"] == event)


@pytest.fixture(autouse=True)
def _no_leftover_context() -> None:
    structlog.contextvars.clear_contextvars()


async def test_a_delivery_logs_its_call_and_injection_from_the_context() -> None:
    """The line a rejected delivery logs carries the ids bound while it was handled."""
    one = make_injection(call="v3:call-A", cause="req-A")
    two = make_injection(call="v3:call-B", cause="req-B")
    logs = await _handle(400, encode(one), encode(two), until="delivery_ended", times=2)
    ended = [line for line in logs if line["event"] == "delivery_ended"]
    assert [line["outcome"] for line in ended] == ["rejected", "rejected"]
    assert {(line["call_control_id"], line["injection_id"]) for line in ended} == {
        (one.call_control_id, one.injection_id),
        (two.call_control_id, two.injection_id),
    }
    assert structlog.contextvars.get_contextvars() == {}, "nothing outlives the delivery"


async def test_the_halt_names_the_injection_that_met_the_refusal() -> None:
    """A 401 halts consumption; the loud line says which call and injection met it."""
    injection: Injection = make_injection(call="v3:call-H", cause="req-H")
    logs = await _handle(401, encode(injection), until="credentials_refused")
    refused = _first("credentials_refused", logs)
    assert refused["call_control_id"] == injection.call_control_id
    assert refused["injection_id"] == injection.injection_id
    assert refused["log_level"] == "error"


async def test_a_line_about_no_injection_names_none() -> None:
    """An undecodable record is no injection: its line carries no call or injection id."""
    logs = await _handle(200, b"not json", until="undecodable_injection")
    poison = _first("undecodable_injection", logs)
    assert "call_control_id" not in poison
    assert "injection_id" not in poison
