"""The load generator: HTTP/1.1 over keep-alive loopback connections, in its own process.

Two modes, both bounded in time and count:

* ``rate``: open loop at a fixed offered rate. Request *i* is due at
  ``start + i / rate``; its latency is measured from that due time, so a slow
  server cannot hide its queueing by slowing the generator down (no
  coordinated omission).
* ``saturate``: closed loop, ``connections`` requests always in flight.

It speaks HTTP/1.1 itself over asyncio streams (uvloop): a request is one
pre-built buffer and a response one header block plus a Content-Length body,
which keeps the generator's own cost per request a few microseconds, so that
it is not what the benchmark measures. It reports its own CPU time.

Run as ``python -m bench.ingress.loadgen --url ... --mode rate|saturate``;
prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import uvloop

from devkit.stats import percentile

CALLS = 1000  # distinct call ids spread over the partitions


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)


def build_requests(url: str, path: str, token: str, body: bytes) -> list[bytes]:
    """One ready-to-send request per call id (only the call id header differs)."""
    host = urlsplit(url).netloc
    requests = []
    for n in range(CALLS):
        head = (
            f"POST {path} HTTP/1.1\r\n"
            f"Host: {host}\r\n"
            f"Authorization: Bearer {token}\r\n"
            f"x-telnyx-call-control-id: v3:bench-call-{n:04d}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests


class Connection:
    """One keep-alive HTTP/1.1 connection: send a request, read its response."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, url: str) -> Connection:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> int:
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self._reader.readexactly(length)
        return status

    def close(self) -> None:
        self._writer.close()


async def _one(conn: Connection, request: bytes, due: float, tally: Tally) -> None:
    try:
        status = await conn.exchange(request)
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        tally.errors[type(exc).__name__] += 1
        raise
    tally.statuses[status] += 1
    if 200 <= status < 300:
        tally.latencies.append(time.perf_counter() - due)


async def run_rate(
    url: str, requests: list[bytes], *, rate: float, duration_s: float, connections: int
) -> tuple[Tally, float]:
    tally = Tally()
    pool = [await Connection.open(url) for _ in range(connections)]
    queue: asyncio.Queue[tuple[bytes, float] | None] = asyncio.Queue()

    async def worker(conn: Connection) -> None:
        while (item := await queue.get()) is not None:
            request, due = item
            await _one(conn, request, due, tally)

    workers = [asyncio.create_task(worker(conn)) for conn in pool]
    total = int(rate * duration_s)
    start = time.perf_counter() + 0.05
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((random.choice(requests), due))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start
    for conn in pool:
        conn.close()
    return tally, elapsed


async def run_saturate(
    url: str, requests: list[bytes], *, duration_s: float, connections: int
) -> tuple[Tally, float]:
    tally = Tally()
    pool = [await Connection.open(url) for _ in range(connections)]
    start = time.perf_counter()
    stop = start + duration_s

    async def worker(conn: Connection) -> None:
        while time.perf_counter() < stop:
            await _one(conn, random.choice(requests), time.perf_counter(), tally)

    await asyncio.gather(*(worker(conn) for conn in pool))
    elapsed = time.perf_counter() - start
    for conn in pool:
        conn.close()
    return tally, elapsed


def summarise(tally: Tally, elapsed_s: float, cpu_s: float) -> dict[str, object]:
    ordered = sorted(tally.latencies)
    ms = 1000.0
    p50, p99, p999 = (percentile(ordered, f) for f in (0.50, 0.99, 0.999))
    return {
        "accepted": len(ordered),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "errors": dict(tally.errors),
        "elapsed_s": round(elapsed_s, 3),
        "accepted_per_s": round(len(ordered) / elapsed_s, 1) if elapsed_s else 0.0,
        "p50_ms": None if p50 is None else round(p50 * ms, 3),
        "p99_ms": None if p99 is None else round(p99 * ms, 3),
        "p999_ms": None if p999 is None else round(p999 * ms, 3),
        "max_ms": round(ordered[-1] * ms, 3) if ordered else None,
        "generator_cpu_s": round(cpu_s, 3),
        "generator_cpu_share": round(cpu_s / elapsed_s, 3) if elapsed_s else None,
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    requests = build_requests(args.url, args.path, args.token, args.body.encode())
    cpu_before = _cpu_seconds()
    if args.mode == "rate":
        tally, elapsed = await run_rate(
            args.url,
            requests,
            rate=args.rate,
            duration_s=args.duration,
            connections=args.connections,
        )
    else:
        tally, elapsed = await run_saturate(
            args.url, requests, duration_s=args.duration, connections=args.connections
        )
    return summarise(tally, elapsed, _cpu_seconds() - cpu_before)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--mode", choices=["rate", "saturate"], required=True)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--path", default="/tools/lookup_order_status")
    parser.add_argument("--token", default="bench-token")
    parser.add_argument("--body", default='{"order_id": "ORD-12345", "customer": "C-42"}')
    args = parser.parse_args(argv)
    result = uvloop.run(main_async(args))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
