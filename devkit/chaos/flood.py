"""The flood: far more concurrent senders than the ingress can answer, for a bounded time.

Each of ``connections`` keep-alive connections sends supervisor notes back to
back (HTTP/1.1 written by hand over asyncio streams, so the flood costs little
CPU per request), each with its own token and ``Idempotency-Key``, and does
not retry: it is the excess, not a patient sender. A 2xx is recorded in the
ledger as accepted (the judge then holds the pipeline to it like any other
item); every answer is counted by status and error code.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from devkit.chaos.ledger import Item, Ledger, make_token

REQUEST_TIMEOUT_S = 30.0


@dataclass
class FloodReport:
    """What the flood sent and heard."""

    sent: int = 0
    answers: Counter[str] = field(default_factory=Counter)
    """By status and, for errors, code: ``"202"``, ``"503 overloaded"``, ``"timeout"``."""
    without_retry_after: int = 0
    """503 answers that did not say when to retry."""
    elapsed_s: float = 0.0


@dataclass(frozen=True)
class FloodTarget:
    """Where to send, with what credential, to which calls."""

    host: str
    port: int
    token: str
    calls: Sequence[str]
    run: str


def _request(target: FloodTarget, call: str, token: str) -> bytes:
    body = json.dumps({"content": f"Flood note {token}."}).encode()
    head = (
        f"POST /calls/{call}/messages HTTP/1.1\r\n"
        f"Host: {target.host}:{target.port}\r\n"
        f"Authorization: Bearer {target.token}\r\n"
        f"Idempotency-Key: {token}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, dict[str, str], bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


def _label(status: int, body: bytes) -> str:
    if status < 400:
        return str(status)
    try:
        code = json.loads(body).get("error", "")
    except (ValueError, AttributeError):
        code = ""
    return f"{status} {code}".strip()


async def _connection(
    index: int, target: FloodTarget, ledger: Ledger, report: FloodReport, stop_at: float
) -> None:
    seq = 0
    sender = f"f{index}"
    while time.monotonic() < stop_at:
        try:
            reader, writer = await asyncio.open_connection(target.host, target.port)
        except OSError:
            report.answers["connect failed"] += 1
            await asyncio.sleep(0.1)  # a refused connection: back off a little before again
            continue
        try:
            while time.monotonic() < stop_at:
                call = target.calls[(index + seq) % len(target.calls)]
                token = make_token(target.run, sender, seq)
                item = Item(token, call, "flood", seq)
                seq += 1
                ledger.sent(token)
                report.sent += 1
                status, headers, body = await asyncio.wait_for(
                    _exchange(reader, writer, _request(target, call, token)), REQUEST_TIMEOUT_S
                )
                report.answers[_label(status, body)] += 1
                if 200 <= status < 300:
                    ledger.accepted(item, at=time.time(), attempts=1)
                elif status == 503 and "retry-after" not in headers:
                    report.without_retry_after += 1
        except TimeoutError:
            report.answers["timeout"] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            report.answers["connection lost"] += 1
        finally:
            writer.close()


def flood(
    target: FloodTarget, ledger: Ledger, *, connections: int, duration_s: float
) -> FloodReport:
    """Run the flood for ``duration_s`` (blocking, on a loop of its own); what it saw."""
    report = FloodReport()

    async def every() -> None:
        stop_at = time.monotonic() + duration_s
        await asyncio.gather(
            *(_connection(n, target, ledger, report, stop_at) for n in range(connections))
        )

    started = time.monotonic()
    asyncio.run(every())
    report.elapsed_s = time.monotonic() - started
    return report
