"""Admission control: past ``max_in_flight_requests`` requests in progress, a new one is shed.

Without a bound, an offered rate far above what one process can answer makes
every request wait its turn: latency grows past the senders' timeouts (and they
retry, adding load), and memory grows with every waiting request. Measured
before this existed (the chaos suite's overload scenario, README): 4,000
concurrent senders took the process from 71 to 186 MB, with answers after 4-8 s.
Shedding at the door keeps the admitted requests fast and the memory bounded.

A shed request is answered before its body is read, publishes nothing, and
looks like any other 503: JSON ``overloaded`` with ``Retry-After``. The probes
and ``/metrics`` are never shed: an overloaded process is alive, and says so.
This middleware must never touch a request it admits.
"""

from __future__ import annotations

import structlog
from prometheus_client import Counter
from starlette.types import ASGIApp, Receive, Scope, Send

from ingress.problems import error_response
from ingress.throttle import LogThrottle

log = structlog.get_logger(__name__)

NEVER_SHED = frozenset({"/healthz", "/readyz", "/metrics"})
_LOG_INTERVAL_S = 10.0


def admit(in_progress: int, limit: int, path: str) -> bool:
    """Whether a request for ``path`` may start while ``in_progress`` others are running."""
    return path in NEVER_SHED or in_progress < limit


class AdmissionMiddleware:
    """Sheds HTTP requests with 503 ``overloaded`` while ``limit`` others are in progress."""

    def __init__(self, app: ASGIApp, *, limit: int, retry_after_s: int, shed: Counter) -> None:
        self._app = app
        self._limit = limit
        self._retry_after = str(retry_after_s)
        self._shed = shed
        self._in_progress = 0
        self._throttle = LogThrottle(_LOG_INTERVAL_S)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if not admit(self._in_progress, self._limit, scope["path"]):
            await self._refuse(scope, receive, send)
            return
        self._in_progress += 1
        try:
            await self._app(scope, receive, send)
        finally:
            self._in_progress -= 1

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._shed.inc()
        held = self._throttle.admit("shed")
        if held is not None:
            log.warning("requests_shed", limit=self._limit, repeats=held)
        response = error_response(
            503,
            "overloaded",
            f"more than {self._limit} requests in progress; retry in {self._retry_after} s",
            {"Retry-After": self._retry_after},
        )
        await response(scope, receive, send)
