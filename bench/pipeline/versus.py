"""Part 3: callstream against the reference's direct approach, under the same burst.

``calls`` live calls each fire two async tools at once (the reference's
parallel lookups), every lookup taking ``lookup_s``; the calls' moments are
spread evenly over ``spread_s`` (one second: 400 webhooks/s, and with 2 s
lookups all 400 are in flight together), and once more all at the same
instant for callstream. The same client plays the assistant against every
side: one fresh connection per webhook, each given ``timeout_s`` to be
answered (the platform does not wait forever for a webhook). Measured:

* acknowledgement latency of the webhooks (p50, p99);
* requests the server could not take: refused or dropped connections,
  timeouts, non-2xx answers;
* the total time from the burst until every result reached its call at the
  emulator (None when some never did within ``bound_s``).

Sides: callstream (the ingress acknowledges once Kafka holds the call; the
tool runner calls the demo backends, which take ``lookup_s``); the direct
server with a thread per request; and the direct server with a fixed pool
of threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp

from bench.pipeline import remote
from bench.pipeline.stack import BenchStack
from bench.pipeline.stats import Latency
from bench.pipeline.steps import REPO

TOOLS = ("check_loyalty_points", "lookup_order_status")
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


@dataclass(frozen=True)
class Ack:
    seconds: float
    outcome: str
    """``ok``, an HTTP status, or the kind of failure."""


def _arguments(tool: str, n: int) -> dict[str, str]:
    if tool == "check_loyalty_points":
        return {"customer_id": f"C-{7000 + n}"}
    return {"order_id": f"ORD-{70000 + n}"}


async def _burst(
    url: str, calls: Sequence[str], token: str | None, timeout_s: float, spread_s: float
) -> list[Ack]:
    """Each call fires every tool at once, the calls' moments spread evenly over ``spread_s``
    (0: all at the same instant); one fresh connection per webhook."""
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers) as http:
        begin = time.perf_counter()

        async def fire(n: int, call: str, tool: str) -> Ack:
            await asyncio.sleep(max(0.0, begin + spread_s * n / len(calls) - time.perf_counter()))
            started = time.perf_counter()
            try:
                async with http.post(
                    f"{url}/tools/{tool}",
                    json=_arguments(tool, n),
                    headers={"x-telnyx-call-control-id": call, "Idempotency-Key": f"{call}/{tool}"},
                ) as response:
                    await response.read()
                    outcome = "ok" if 200 <= response.status < 300 else str(response.status)
            except TimeoutError:
                outcome = "timeout"
            except aiohttp.ClientError as exc:
                outcome = type(exc).__name__
            return Ack(time.perf_counter() - started, outcome)

        return list(
            await asyncio.gather(
                *(fire(n, call, tool) for n, call in enumerate(calls) for tool in TOOLS)
            )
        )


def _side(
    name: str,
    stack: BenchStack,
    calls: list[str],
    url: str,
    *,
    token: str | None,
    timeout_s: float,
    spread_s: float,
    bound_s: float,
) -> dict[str, Any]:
    expected = len(calls) * len(TOOLS)
    applied_before = remote.applied(stack.emulator_url)
    fired_at = time.time()
    acks = asyncio.run(_burst(url, calls, token, timeout_s, spread_s))
    remote.wait_until(
        lambda: remote.applied(stack.emulator_url),
        applied_before + expected,
        stall_s=bound_s,
        max_s=bound_s,
    )
    arrivals = remote.arrival_times(stack.emulator_url, calls)
    outcomes = Counter(a.outcome for a in acks)
    ok = [a.seconds for a in acks if a.outcome == "ok"]
    return {
        "side": name,
        "spread_s": spread_s,
        "webhooks": len(acks),
        "acknowledged": len(ok),
        "not_taken": len(acks) - len(ok),
        "outcomes": dict(outcomes),
        "ack": asdict(Latency.of(ok)),
        "results_delivered": len(arrivals),
        "results_expected": expected,
        "total_s": round(max(arrivals) - fired_at, 2) if len(arrivals) >= expected else None,
        "last_result_s": round(max(arrivals) - fired_at, 2) if arrivals else None,
    }


@contextlib.contextmanager
def direct_server(stack: BenchStack, *, lookup_s: float, pool: int) -> Iterator[str]:
    """The direct server in a process of its own; its URL."""
    argv = [sys.executable, "-m", "bench.pipeline.direct", "--remote", f"{stack.emulator_url}/v2"]
    argv += ["--lookup-s", str(lookup_s), "--pool", str(pool)]
    process = subprocess.Popen(
        argv,
        cwd=REPO,
        env=os.environ | {"TELNYX_API_KEY": stack.api_key},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = LISTENING.search(line)
        if found is None:
            raise RuntimeError(f"the direct server did not start: {line!r}")
        yield found.group(1)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()  # a pool still sleeping through its queue
            process.wait(5)


def run(
    stack: BenchStack,
    *,
    first_caller: int,
    calls: int,
    lookup_s: float,
    timeout_s: float,
    spread_s: float,
    pool: int,
    bound_s: float,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Each side in turn, on calls of its own: callstream, callstream under an instant
    burst, the direct server with a thread per request, then with a pool of threads."""
    sides = []
    plans: list[tuple[str, float, int | None]] = [
        ("callstream", spread_s, None),
        ("callstream, all at one instant", 0.0, None),
        ("direct, thread per request", spread_s, 0),
        (f"direct, pool of {pool} threads", spread_s, pool),
    ]
    for n, (name, spread, threads) in enumerate(plans):
        live = remote.start_calls(stack.emulator_url, first_caller + n * calls, calls)
        common: dict[str, Any] = {"timeout_s": timeout_s, "spread_s": spread, "bound_s": bound_s}
        if threads is None:
            side = _side(name, stack, live, stack.ingress_url, token=stack.token, **common)
        else:
            with direct_server(stack, lookup_s=lookup_s, pool=threads) as url:
                side = _side(name, stack, live, url, token=None, **common)
        ack = side["ack"]
        progress(
            f"  {name}: ack p50 {ack['p50_ms']} ms, p99 {ack['p99_ms']} ms; not taken "
            f"{side['not_taken']}; results {side['results_delivered']}/{side['results_expected']}"
            f", all delivered after {side['total_s']} s"
        )
        sides.append(side)
    return {
        "calls": calls,
        "tools_per_call": len(TOOLS),
        "lookup_s": lookup_s,
        "webhook_timeout_s": timeout_s,
        "spread_s": spread_s,
        "bound_s": bound_s,
        "sides": sides,
    }
