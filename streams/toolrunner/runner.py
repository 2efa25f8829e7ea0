"""Calling a tool's HTTP backend and turning whatever happens into a ``ToolResult``.

The URL comes from the configuration only, never from the tool's arguments,
so an assistant (or whoever speaks for it) cannot point callstream at another
address. The arguments go as the JSON body, with the headers a backend written
for Telnyx async tools expects (``x-telnyx-call-control-id``) plus the
request id (for the backend's own idempotence: a crash can make callstream ask
twice).

Timeouts, connection failures and 5xx answers are retried with exponential
backoff up to the backend's ``max_attempts``; a 4xx or an oversized answer is
not retried. Every failure becomes a ``status: error`` result that says what
went wrong, in words fit for the "could not look that up" message; nothing
here raises for a backend's behaviour. Concurrency is bounded. The bytes go
through a ``BackendClient`` (``streams.toolrunner.http``): aiohttp in
production, any ``httpx.AsyncClient`` in tests.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from structlog.contextvars import bound_contextvars

from callstream.config import BackendSpec
from callstream.records import ToolCall, ToolResult
from streams.errors import ToolBackendRejected, ToolBackendUnavailable
from streams.toolrunner.http import BackendClient

USER_AGENT = "callstream-tool-runner"
BACKOFF_INITIAL_S = 0.2
BACKOFF_MAX_S = 5.0

Sleep = Callable[[float], Awaitable[None]]


def backoff(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed ``attempt`` (1-based): doubling, capped, with full jitter."""
    ceiling = min(BACKOFF_MAX_S, BACKOFF_INITIAL_S * 2 ** (attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


class ToolRunner:
    """Runs tool requests against their backends, at most ``concurrency`` at a time."""

    def __init__(
        self,
        client: BackendClient,
        *,
        concurrency: int,
        max_response_bytes: int,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._slots = asyncio.Semaphore(concurrency)
        self._max_bytes = max_response_bytes
        self._sleep = sleep
        self._clock = clock

    async def run(self, call: ToolCall, backend: BackendSpec) -> ToolResult:
        """Ask ``backend`` about ``call``; the outcome, success or failure, as a result.

        Every line logged meanwhile (the HTTP client's too) names the call and the request.
        """
        with bound_contextvars(call_control_id=call.call_control_id, request_id=call.request_id):
            return await self._run(call, backend)

    async def _run(self, call: ToolCall, backend: BackendSpec) -> ToolResult:
        async with self._slots:
            error = "no attempt was made"
            for attempt in range(1, backend.max_attempts + 1):
                try:
                    answer = await self._attempt(call, backend)
                except ToolBackendRejected as exc:
                    return self._failed(call, str(exc))
                except ToolBackendUnavailable as exc:
                    error = str(exc)
                    if attempt < backend.max_attempts:
                        await self._sleep(backoff(attempt))
                    continue
                return ToolResult(
                    request_id=call.request_id,
                    call_control_id=call.call_control_id,
                    tool=call.tool,
                    status="ok",
                    result=answer,
                    completed_at=self._clock(),
                )
            attempts = f"{backend.max_attempts} attempt{'s' if backend.max_attempts > 1 else ''}"
            return self._failed(call, f"{error} ({attempts})")

    def _failed(self, call: ToolCall, error: str) -> ToolResult:
        return ToolResult(
            request_id=call.request_id,
            call_control_id=call.call_control_id,
            tool=call.tool,
            status="error",
            error=error,
            completed_at=self._clock(),
        )

    async def _attempt(self, call: ToolCall, backend: BackendSpec) -> Any:
        headers = {
            "content-type": "application/json",
            "x-telnyx-call-control-id": call.call_control_id,
            "x-callstream-request-id": call.request_id,
            "user-agent": USER_AGENT,
        }
        body = json.dumps(call.arguments, separators=(",", ":"), ensure_ascii=False).encode()
        answer = await self._client.post(
            str(backend.url),
            body,
            headers,
            timeout_s=backend.timeout_s,
            max_bytes=self._max_bytes,
        )
        if answer.status >= 500:
            raise ToolBackendUnavailable(f"the backend answered {answer.status}")
        if answer.status >= 300:
            raise ToolBackendRejected(f"the backend refused the request ({answer.status})")
        return _parse(answer.body, answer.content_type)


def _parse(body: bytes, content_type: str) -> Any:
    """A JSON answer as its value; any other answer as its text (``None`` if empty)."""
    if not body.strip():
        return None
    if "json" in content_type.lower():
        try:
            return json.loads(body)
        except ValueError as exc:
            raise ToolBackendRejected("the backend's answer claims to be JSON but is not") from exc
    return body.decode(errors="replace")
