"""The floor: the injector's own HTTP client alone, one sequential sender per call, no Kafka."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any, Literal

from pydantic import SecretStr

from callstream.config.services import InjectorConfig
from callstream.records import Injection, Message, utcnow
from injector.client import AddMessagesClient
from injector.main import make_sender
from injector.policy import Reply


def injections_for(call: str, count: int, tag: str) -> list[Injection]:
    now = utcnow()
    return [
        Injection(
            injection_id=str(uuid.uuid4()),
            call_control_id=call,
            messages=[Message(role="system", content=f"[BENCH {tag}] {call} #{seq}: " + "x" * 160)],
            source="bench",
            cause_id=f"{tag}/{call}/{seq}",
            created_at=now,
            expires_at=now + timedelta(hours=1),
            cause_at=now,
        )
        for seq in range(count)
    ]


async def hammer(
    *,
    base_url: str,
    api_key: str,
    calls: list[str],
    per_call: int,
    http_client: Literal["aiohttp", "httpx"],
    deadline_s: float,
) -> dict[str, Any]:
    """Send ``per_call`` messages to each call, calls in parallel; stop early at the deadline."""
    config = InjectorConfig(max_in_flight=len(calls), http_client=http_client)
    client = AddMessagesClient(
        base_url=base_url, api_key=SecretStr(api_key), sender=make_sender(config)
    )
    work = {call: injections_for(call, per_call, f"floor-{http_client}") for call in calls}
    latencies: list[float] = []
    failures = 0
    stop_at = time.monotonic() + deadline_s

    async def sender(items: list[Injection]) -> None:
        nonlocal failures
        for item in items:
            if time.monotonic() > stop_at:
                return
            started = time.perf_counter()
            result = await client.send(item)
            latencies.append(time.perf_counter() - started)
            if not (isinstance(result, Reply) and result.status == 200):
                failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(sender(items) for items in work.values()))
    elapsed = time.perf_counter() - started
    await client.aclose()
    return {
        "http_client": http_client,
        "requests": len(latencies),
        "failures": failures,
        "seconds": elapsed,
        "per_second": len(latencies) / elapsed,
        "request_latencies": latencies,
        "cut_short": len(latencies) < len(calls) * per_call,
    }
