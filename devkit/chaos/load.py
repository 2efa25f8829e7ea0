"""The load: many live calls, each sent a steady stream of items, or a burst, by ``senders``.

One call's items go one after another (the next waits for the previous to be
accepted), so "accepted earlier" is well defined per call; calls run in
parallel, each a channel at a time in turn (supervisor, CRM, fraud, tool).

The senders run on an asyncio loop in a thread of their own, so the scenario
can break things from the main thread meanwhile.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import threading
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from confluent_kafka import Producer

from callstream.kafka import producer_config
from devkit.chaos.ledger import Item, Ledger, make_token
from devkit.chaos.senders import QUIET_CLIENT, LoadPlan, Senders
from devkit.dev.player import Target
from devkit.dev.scenario import ASSISTANT_NUMBER
from devkit.emulator import EmulatorControl

T = TypeVar("T")


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
    def burst(
        self,
        channels_by_call: Mapping[str, Sequence[str]],
        then: Callable[[str], None] | None = None,
    ) -> None:
        """Send each call its channels' items back to back (calls in parallel), then ``then``
        for that call at once (blocking calls run on a thread); wait for all."""

        async def one(call: str) -> None:
            assert self._senders is not None
            for channel in channels_by_call[call]:
                await self._senders.send(self._item(call, channel))
            if then is not None:
                await asyncio.to_thread(then, call)

        async def every() -> None:
            await asyncio.gather(*(one(call) for call in channels_by_call))

        self._run_on_loop(every(), self._plan.give_up_s + 60)
