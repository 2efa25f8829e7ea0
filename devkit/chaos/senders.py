"""The senders' protocol: one item, sent the way the systems around callstream send it.

Each item goes one of four ways: a supervisor note (``POST
/calls/{id}/messages``), a CRM event over HTTP (``POST /events/crm``), a
fraud alert produced straight onto its Kafka topic, and the assistant's async
tool (``POST /tools/check_loyalty_points``, whose backend the tool runner
calls). The item's token rides in the content, the event data, or the tool
argument.

Senders behave as the contract asks of them: a 503, a 429, a timeout or a
refused connection is retried, honouring ``Retry-After``, with the same
``Idempotency-Key`` (the same ``event_id``), until the item is accepted or the
sender gives up; a produce is retried until the broker acknowledges it. Every
answer and the acceptance go to the ledger; nothing here decides what counts.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from confluent_kafka import KafkaError, Producer

from devkit.chaos.ledger import Item, Ledger
from devkit.dev.player import Target

CHANNELS = ("supervisor", "crm", "fraud", "tool")
TOOL = "check_loyalty_points"
QUIET_CLIENT = {"log_level": 2}
"""librdkafka's own log up to critical only: a refused connection while the broker is
killed is the fault itself, and the judge and the checks say what it did."""


@dataclass(frozen=True)
class LoadPlan:
    """How many calls, how often each is sent an item, and how patient the senders are."""

    calls: int = 20
    interval_s: float = 1.0
    """Per call, between the starts of two items (a missed slot is skipped, not caught up)."""
    channels: tuple[str, ...] = CHANNELS
    give_up_s: float = 180.0
    request_timeout_s: float = 15.0
    max_retry_wait_s: float = 5.0

    def describe(self) -> str:
        rate = self.calls / self.interval_s
        return f"{self.calls} calls, {rate:g} items/s"


@dataclass(frozen=True)
class Answer:
    """What one try of one item got: accepted, or why not and how long to wait."""

    label: str
    accepted: bool = False
    retry: bool = True
    wait_s: float = 0.5


def _retry_after(response: httpx.Response, ceiling: float) -> float | None:
    try:
        return min(ceiling, max(0.0, float(response.headers["retry-after"])))
    except (KeyError, ValueError):
        return None


class Senders:
    """Sends one item until it is accepted or given up, and records it in the ledger."""

    def __init__(
        self,
        target: Target,
        ledger: Ledger,
        *,
        plan: LoadPlan,
        http: httpx.AsyncClient,
        producer: Producer,
    ) -> None:
        self._target = target
        self._ledger = ledger
        self._plan = plan
        self._http = http
        self._producer = producer
        self._auth = {"authorization": f"Bearer {target.token}"}

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, item: Item) -> bool:
        """Try ``item`` until accepted (True) or given up (False)."""
        deadline = time.monotonic() + self._plan.give_up_s
        attempts = 0
        self._ledger.sent(item.token)
        while True:
            attempts += 1
            answer = await self._once(item)
            self._ledger.answered(answer.label)
            if answer.accepted:
                self._ledger.accepted(item, at=time.time(), attempts=attempts)
                return True
            if not answer.retry or time.monotonic() + answer.wait_s > deadline:
                self._ledger.abandoned(item)
                return False
            await asyncio.sleep(answer.wait_s)

    async def _once(self, item: Item) -> Answer:
        if item.channel == "fraud":
            return await self._produce(item)
        path, body, headers = self._request(item)
        try:
            response = await self._http.post(path, json=body, headers=self._auth | headers)
        except httpx.TimeoutException:
            return Answer("timeout")
        except httpx.TransportError:
            return Answer("connection")
        status = response.status_code
        if 200 <= status < 300:
            return Answer(str(status), accepted=True)
        if status == 429 or status >= 500:
            told = _retry_after(response, self._plan.max_retry_wait_s)
            label = str(status) if told is not None else f"{status} without Retry-After"
            return Answer(label, wait_s=0.5 if told is None else told)
        return Answer(f"{status} {response.text[:80]}", retry=False)

    def _request(self, item: Item) -> tuple[str, dict[str, Any], dict[str, str]]:
        token, call = item.token, item.call_control_id
        if item.channel == "supervisor":
            body = {"content": f"Supervisor note {token}: mention it when it fits."}
            return f"/calls/{call}/messages", body, {"Idempotency-Key": token}
        if item.channel == "crm":
            return "/events/crm", _event(token, call, "profile.updated"), {}
        if item.channel == "tool":
            headers = {"x-telnyx-call-control-id": call, "Idempotency-Key": token}
            return f"/tools/{TOOL}", {"customer_id": token}, headers
        raise ValueError(f"unknown channel {item.channel!r}")

    async def _produce(self, item: Item) -> Answer:
        loop = asyncio.get_running_loop()
        acked: asyncio.Future[KafkaError | None] = loop.create_future()

        def delivered(err: KafkaError | None, _: object) -> None:
            loop.call_soon_threadsafe(_settle, acked, err)

        value = json.dumps(_event(item.token, item.call_control_id, "fraud.alert")).encode()
        try:
            self._producer.produce(
                self._target.topics.source("fraud"),
                key=item.call_control_id.encode(),
                value=value,
                on_delivery=delivered,
            )
        except BufferError:
            return Answer("kafka queue full")
        error = await acked
        if error is None:
            return Answer("acked", accepted=True)
        return Answer(f"kafka {error.name()}")


def _settle(future: asyncio.Future[KafkaError | None], error: KafkaError | None) -> None:
    if not future.done():
        future.set_result(error)


def _event(token: str, call: str, event_type: str) -> dict[str, Any]:
    return {
        "event_id": token,
        "type": event_type,
        "occurred_at": datetime.now(UTC).isoformat(),
        "call_control_id": call,
        "data": {"item": token},
    }
