"""Liveness and readiness state that a service's loop updates and its probes read.

Readiness is the conjunction of named checks (``broker``, ``credentials``,
...), each set by the code that knows. Liveness is a heartbeat: the service's
main loop beats, and a loop that has not beaten within ``stall_after_s`` is
reported dead even though the probe thread still answers. Thread-safe: the
probe is served from another thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class HealthReport:
    """A snapshot for a probe."""

    live: bool
    ready: bool
    checks: dict[str, dict[str, object]] = field(default_factory=dict)
    seconds_since_beat: float = 0.0


class Health:
    """Named readiness checks plus a heartbeat; starts not ready until every check passes."""

    def __init__(
        self, *, stall_after_s: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._lock = threading.Lock()
        self._checks: dict[str, tuple[bool, str]] = {}
        self._clock = clock
        self._stall_after_s = stall_after_s
        self._last_beat = clock()

    def set(self, name: str, ok: bool, detail: str = "") -> None:
        """Record the outcome of check ``name`` (``detail`` says why, for the probe's body)."""
        with self._lock:
            self._checks[name] = (ok, detail)

    def beat(self) -> None:
        """Called from the service's main loop to prove it is still turning."""
        with self._lock:
            self._last_beat = self._clock()

    def report(self) -> HealthReport:
        with self._lock:
            since = self._clock() - self._last_beat
            checks = {
                name: {"ok": ok, "detail": detail} for name, (ok, detail) in self._checks.items()
            }
            ready = bool(self._checks) and all(ok for ok, _ in self._checks.values())
        live = since <= self._stall_after_s
        return HealthReport(
            live=live, ready=ready and live, checks=checks, seconds_since_beat=since
        )
