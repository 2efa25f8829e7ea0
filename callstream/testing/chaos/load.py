"""The senders: many live calls, each sent a steady stream of items through the real interfaces.

Each item goes one of four ways, as the systems around callstream send them:
a supervisor note (``POST /calls/{id}/messages``), a CRM event over HTTP
(``POST /events/crm``), a fraud alert produced straight onto its Kafka topic,
and the assistant's async tool (``POST /tools/check_loyalty_points``, whose
backend the tool runner calls). The item's token rides in the content, the
event data, or the tool argument.

Senders behave as the contract asks of them: a 503, a 429, a timeout or a
refused connection is retried, honouring ``Retry-After``, with the same
``Idempotency-Key`` (the same ``event_id``), until the item is accepted or the
sender gives up; a produce is retried until the broker acknowledges it. One
call's items go one after another (the next waits for the previous to be
accepted), so "accepted earlier" is well defined per call.

The senders run on an asyncio loop in a thread of their own, so the scenario
can break things from the main thread meanwhile.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import random
import threading
import time
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from confluent_kafka import KafkaError, Producer

from callstream.dev.player import Target
from callstream.dev.scenario import ASSISTANT_NUMBER
from callstream.emulator import EmulatorControl
from callstream.kafka import producer_config
from callstream.testing.chaos.ledger import Item, Ledger, make_token

CHANNELS = ("supervisor", "crm", "fraud", "tool")
TOOL = "check_loyalty_points"
QUIET_CLIENT = {"log_level": 2}
"""librdkafka's own log up to critical only: a refused connection while the broker is
killed is the fault itself, and the judge and the checks say what it did."""
T = TypeVar("T")


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


def start_calls(control: EmulatorControl, run: str, count: int) -> list[str]:
    """Start ``count`` live calls at the remote (announced to the ingress); their ids."""
    calls = []
    base = random.randrange(1_000_000, 9_000_000)  # noqa: S311 - test phone numbers, not secrets
    for n in range(count):
        call = control.start_call(
            f"v3:chaos-{run}-{n}",
            from_number=f"+1555{(base + n) % 10_000_000:07d}",
            to_number=ASSISTANT_NUMBER,
        )
        calls.append(call)
    return calls


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


class LoadDriver:
    """Runs senders on a loop in its own thread: a steady load across calls, or bursts."""

    def __init__(self, target: Target, ledger: Ledger, *, run: str, plan: LoadPlan) -> None:
        self._target = target
        self._ledger = ledger
        self._run = run
        self._plan = plan
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="chaos-load")
        self._producer = Producer(
            producer_config(target.conn, "callstream-chaos-load", QUIET_CLIENT)
        )
        self._polling = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="chaos-load-acks", daemon=True)
        self._senders: Senders | None = None
        self._next_seq: dict[str, int] = {}
        self._index: dict[str, int] = {}
        self._stopping: asyncio.Event | None = None
        self._steady: concurrent.futures.Future[list[bool]] | None = None

    def __enter__(self) -> Self:
        self._thread.start()
        self._polling.set()
        self._poller.start()
        self._senders = self._run_on_loop(self._make_senders())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._steady is not None:
            self.stop()
        self._run_on_loop(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()
        self._polling.clear()
        self._poller.join(10)
        self._producer.flush(30)

    async def _make_senders(self) -> Senders:
        limits = httpx.Limits(max_connections=max(16, 2 * self._plan.calls))
        http = httpx.AsyncClient(
            base_url=self._target.ingress_url, timeout=self._plan.request_timeout_s, limits=limits
        )
        self._stopping = asyncio.Event()
        return Senders(
            self._target, self._ledger, plan=self._plan, http=http, producer=self._producer
        )

    async def _close(self) -> None:
        if self._senders is not None:
            await self._senders.aclose()

    def _poll(self) -> None:
        while self._polling.is_set():
            self._producer.poll(0.1)

    def _run_on_loop(self, work: Coroutine[Any, Any, T], timeout_s: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout_s)

    def _item(self, call: str, channel: str) -> Item:
        """The call's next item; a call's tokens are numbered apart from every other call's."""
        index = self._index.setdefault(call, len(self._index))
        seq = self._next_seq.get(call, 0)
        self._next_seq[call] = seq + 1
        return Item(make_token(self._run, str(index), seq), call, channel, seq)

    # -- steady load -------------------------------------------------------------------
    def start(self, calls: Sequence[str]) -> None:
        """Every call gets an item every ``interval_s`` until ``stop``."""
        self._steady = asyncio.run_coroutine_threadsafe(self._all_steady(calls), self._loop)

    def stop(self) -> None:
        """No new items; return once every item in progress was accepted or given up."""
        assert self._stopping is not None
        assert self._steady is not None
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._steady.result(self._plan.give_up_s + 60)
        self._steady = None
        self._loop.call_soon_threadsafe(self._stopping.clear)

    async def _all_steady(self, calls: Sequence[str]) -> list[bool]:
        return await asyncio.gather(*(self._steady_call(call, n) for n, call in enumerate(calls)))

    async def _steady_call(self, call: str, index: int) -> bool:
        assert self._senders is not None
        assert self._stopping is not None
        plan = self._plan
        # Calls start a tenth of an interval apart, so the items do not all leave at once.
        next_at = time.monotonic() + plan.interval_s * (index % 10) / 10
        turn = 0
        while not self._stopping.is_set():
            wait = next_at - time.monotonic()
            if wait > 0:
                try:
                    await asyncio.wait_for(self._stopping.wait(), wait)
                    break
                except TimeoutError:
                    pass
            item = self._item(call, plan.channels[turn % len(plan.channels)])
            turn += 1
            await self._senders.send(item)
            next_at = max(next_at + plan.interval_s, time.monotonic())
        return True

    # -- bursts -------------------------------------------------------------------------
    def burst(self, channels_by_call: Mapping[str, Sequence[str]]) -> None:
        """Send each call its channels' items back to back (calls in parallel); wait for all."""

        async def one(call: str) -> None:
            assert self._senders is not None
            for channel in channels_by_call[call]:
                await self._senders.send(self._item(call, channel))

        async def every() -> None:
            await asyncio.gather(*(one(call) for call in channels_by_call))

        self._run_on_loop(every(), self._plan.give_up_s + 60)
