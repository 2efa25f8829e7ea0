"""The assistant's async tool webhooks, fired at their moments, each on a connection of its own.

Each call fires every tool at once (the reference's parallel lookups); the
calls' moments are spread evenly over ``spread_s`` (0: all at the same
instant). The client writes HTTP/1.1 by hand over asyncio streams (uvloop),
a few microseconds a request, so a burst of thousands leaves it on time; it is
open loop, each answer timed from the moment its webhook was due, so a server
slow to accept cannot hide behind the client. One fresh connection per
webhook, as the platform sends them, each given ``timeout_s`` to be answered.

Used by the benchmark's comparison with the direct approach (part 3) and by
the ingress's burst test.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import uvloop

TOOLS = ("check_loyalty_points", "lookup_order_status")
LEAD_IN_S = 0.2
"""The first webhook is due this long after the requests are built, so none is late at once."""


@dataclass(frozen=True)
class Ack:
    seconds: float
    outcome: str
    """``ok``, an HTTP status, or the kind of failure."""


def _arguments(tool: str, n: int) -> dict[str, str]:
    """The arguments the ``n``-th call gives ``tool`` (what the demo backends look up)."""
    if tool == "check_loyalty_points":
        return {"customer_id": f"C-{7000 + n}"}
    return {"order_id": f"ORD-{70000 + n}"}


def _webhook(host: str, call: str, tool: str, n: int, token: str | None) -> bytes:
    """The assistant's async tool webhook as bytes, ready to send on a fresh connection."""
    body = json.dumps(_arguments(tool, n)).encode()
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    head = (
        f"POST /tools/{tool} HTTP/1.1\r\nHost: {host}\r\n{auth}"
        f"x-telnyx-call-control-id: {call}\r\nIdempotency-Key: {call}/{tool}\r\n"
        "Content-Type: application/json\r\nConnection: close\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _post(host: str, port: int, request: bytes) -> int:
    """Send ``request`` on a connection of its own; the answer's status."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1])
    finally:
        writer.close()


async def _fire(
    url: str, calls: Sequence[str], token: str | None, timeout_s: float, spread_s: float
) -> tuple[list[Ack], float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    begin, begin_unix = time.perf_counter() + LEAD_IN_S, time.time() + LEAD_IN_S

    async def one(n: int, call: str, tool: str) -> Ack:
        request = _webhook(parts.netloc, call, tool, n, token)
        due = begin + spread_s * n / len(calls)
        await asyncio.sleep(max(0.0, due - time.perf_counter()))  # open loop: wait for its moment
        try:
            status = await asyncio.wait_for(_post(host, port, request), timeout_s)
            outcome = "ok" if 200 <= status < 300 else str(status)
        except TimeoutError:
            outcome = "timeout"
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            outcome = type(exc).__name__
        return Ack(time.perf_counter() - due, outcome)

    acks = await asyncio.gather(
        *(one(n, call, tool) for n, call in enumerate(calls) for tool in TOOLS)
    )
    return list(acks), begin_unix


def _open_files_for(connections: int) -> None:
    """Raise this process's open-file limit to fit ``connections`` sockets, if the hard limit
    allows (a default soft limit of 1,024 would refuse a burst of 2,000 in the client)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 256  # the harness's own files and sockets
    if soft != resource.RLIM_INFINITY and soft < wanted:
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def fire_webhooks(
    url: str, calls: Sequence[str], token: str | None, *, timeout_s: float, spread_s: float
) -> tuple[list[Ack], float]:
    """Fire every call's tools at ``url`` (blocking, on a loop of its own); the acks, and when
    (unix time) the first webhook was due."""
    _open_files_for(len(calls) * len(TOOLS))
    return uvloop.run(_fire(url, calls, token, timeout_s, spread_s))
