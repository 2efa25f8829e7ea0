"""``LogThrottle``: say a repeated thing once per interval, with how often it repeated.

For log lines whose cause repeats many times a second while it lasts (a
broker away: every reconnect, every refused request); the metrics keep the
exact counts. Thread-safe: librdkafka reports from its own threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class LogThrottle:
    """Admits each key once per interval; counts what it held back meanwhile."""

    def __init__(self, interval_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval_s = interval_s
        self._clock = clock
        self._seen: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def admit(self, key: str) -> int | None:
        """How many were held back since the last admitted one, or None to hold this one."""
        now = self._clock()
        with self._lock:
            last, held = self._seen.get(key, (now - self._interval_s, 0))
            if now - last < self._interval_s:
                self._seen[key] = (last, held + 1)
                return None
            self._seen[key] = (now, 0)
            return held
