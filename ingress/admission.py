"""Admission control: a request is shed when the wait it would meet is over budget.

Without a bound, an offered rate far above what one process can answer makes
every request wait its turn: latency grows past the senders' timeouts (and they
retry, adding load), and memory grows with every waiting request. Measured
before any bound existed (the chaos suite's overload scenario, README): 4,000
concurrent senders took the process from 71 to 186 MB, with answers after 4-8 s.

A bound by count alone sheds the wrong requests: each costs well under a
millisecond of CPU and waits a few for Kafka, so a burst of 400 webhooks at one
instant is answered within a fraction of a second, yet a count of 256 refused
144 of them. So the rule is the wait itself (``decide``, pure):

=========================================  ============================================
when a request arrives                     decision
=========================================  ============================================
a probe or ``/metrics``                    admitted, never counted (an overloaded
                                           process is alive, and says so)
the oldest request waiting on us has       shed: a new one would wait at least as long
waited longer than ``max_queue_wait_s``
``max_in_flight_requests`` in progress     shed: the hard bound on their number
the bodies in progress plus this one's     shed: the hard bound on their bytes
would pass ``max_in_flight_body_bytes``
otherwise                                  admitted
=========================================  ============================================

"Waiting on us" starts when the request's body has been received: the time a
client takes to upload is the client's, and must not let one slow sender make
everyone else look late. From then on the request waits only for this process
(its turn on the event loop) and for Kafka's acknowledgement, so the age of the
oldest such request is the queue's delay as it is now, measured rather than
estimated: a burst is admitted as long as the process keeps up with it, and
shedding starts as soon as it does not, whatever the cause (CPU, or a broker
that stopped acknowledging). In a burst it errs towards shedding: the event
loop runs the newcomers' first steps before the earlier requests' answers,
so the oldest waits longer than a late newcomer will, and the tail of a
burst that takes the process more than the budget to answer is shed.

The hard bounds keep memory bounded whatever the rate: at most
``max_in_flight_requests`` requests are held (each with its scope, task and
parsed body), and their bodies together hold at most
``max_in_flight_body_bytes``, counted from ``Content-Length`` when it is sent
and as the largest body limit when it is not (chunked). The README states the
resulting bound in bytes.

A shed request is answered before its body is read, publishes nothing, and
looks like any other 503: JSON ``overloaded`` with ``Retry-After``. This
middleware must never touch a request it admits.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import structlog
from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callstream.throttle import LogThrottle
from ingress.problems import error_response

log = structlog.get_logger(__name__)

NEVER_SHED = frozenset({"/healthz", "/readyz", "/metrics"})
_LOG_INTERVAL_S = 10.0


@dataclass(frozen=True)
class Limits:
    """The budget and the hard bounds (``ingress.*`` in the configuration)."""

    max_queue_wait_s: float
    max_in_flight_requests: int
    max_in_flight_body_bytes: int


@dataclass(frozen=True)
class Load:
    """What is in progress when a request arrives."""

    in_progress: int
    body_bytes: int
    oldest_wait_s: float
    """How long the oldest request waiting on this process has waited (0 when none is)."""


@dataclass(frozen=True)
class Admit:
    """Let the request in."""


@dataclass(frozen=True)
class Shed:
    """Answer 503 ``overloaded`` at once, saying why."""

    reason: Literal["wait", "requests", "bytes"]
    detail: str


ADMIT = Admit()


def decide(body_bytes: int, load: Load, limits: Limits) -> Admit | Shed:
    """Whether a request whose body takes ``body_bytes`` may start under ``load``."""
    if load.oldest_wait_s > limits.max_queue_wait_s:
        return Shed(
            "wait",
            f"requests are waiting {load.oldest_wait_s:.1f} s, over the "
            f"{limits.max_queue_wait_s:g} s budget",
        )
    if load.in_progress >= limits.max_in_flight_requests:
        return Shed("requests", f"{load.in_progress} requests in progress, the most allowed")
    if load.body_bytes + body_bytes > limits.max_in_flight_body_bytes:
        return Shed(
            "bytes", f"the bodies in progress would pass {limits.max_in_flight_body_bytes} bytes"
        )
    return ADMIT


def declared_body_bytes(scope: Scope, largest_body: int) -> int:
    """What a request's body may take: its ``Content-Length`` (at most ``largest_body``, since a
    larger one is refused before it is read), ``largest_body`` when chunked, else nothing."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return min(int(value), largest_body) if value.isdigit() else largest_body
        if name == b"transfer-encoding":
            return largest_body
    return 0


class AdmissionMiddleware:
    """Sheds HTTP requests with 503 ``overloaded`` per ``decide``; tracks who waits how long."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: Limits,
        largest_body: int,
        retry_after_s: int,
        shed: Counter,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app = app
        self._limits = limits
        self._largest_body = largest_body
        self._retry_after = str(retry_after_s)
        self._shed = shed
        self._clock = clock
        self._in_progress = 0
        self._body_bytes = 0
        # Ticket -> when its body was complete; insertion order is time order, so the
        # first entry is the oldest, found in O(1) however requests finish.
        self._waiting: OrderedDict[int, float] = OrderedDict()
        self._tickets = itertools.count()
        self._throttle = LogThrottle(_LOG_INTERVAL_S)

    def load(self) -> Load:
        """What is in progress now."""
        oldest = next(iter(self._waiting.values()), None)
        waited = 0.0 if oldest is None else self._clock() - oldest
        return Load(self._in_progress, self._body_bytes, waited)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in NEVER_SHED:
            await self._app(scope, receive, send)
            return
        size = declared_body_bytes(scope, self._largest_body)
        decision = decide(size, self.load(), self._limits)
        if isinstance(decision, Shed):
            await self._refuse(decision, scope, receive, send)
            return
        ticket = next(self._tickets)

        async def receive_and_note() -> Message:
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                self._waiting.setdefault(ticket, self._clock())
            return message

        self._in_progress += 1
        self._body_bytes += size
        try:
            await self._app(scope, receive_and_note, send)
        finally:
            self._waiting.pop(ticket, None)
            self._in_progress -= 1
            self._body_bytes -= size

    async def _refuse(self, shed: Shed, scope: Scope, receive: Receive, send: Send) -> None:
        self._shed.inc()
        held = self._throttle.admit(shed.reason)
        if held is not None:
            log.warning("requests_shed", reason=shed.reason, detail=shed.detail, repeats=held)
        response = error_response(
            503,
            "overloaded",
            f"{shed.detail}; retry in {self._retry_after} s",
            {"Retry-After": self._retry_after},
        )
        await response(scope, receive, send)
