"""Bounded memories: delivered injection ids (the ledger) and calls known to have ended.

The remote forgets a ``command_id`` after about 60 s, but Kafka can hand the
injector a record again much later (a rebalance, a restart, a replay). The
ledger remembers which injection ids were delivered, so a redelivery is
recorded again without calling the remote; the ended-calls memory lets later
injections for a call that answered ``call_ended`` skip the call entirely.

Both are bounded in size and in age: the oldest entries go first. Pure: the
time is an argument, never read here.
"""

from __future__ import annotations

from collections import OrderedDict


class RecentSet:
    """Keys remembered for at most ``horizon_s`` seconds, at most ``max_size`` of them."""

    def __init__(self, *, max_size: int, horizon_s: float) -> None:
        if max_size < 1 or horizon_s <= 0:
            raise ValueError("max_size and horizon_s must be positive")
        self.max_size = max_size
        self.horizon_s = horizon_s
        self._entries: OrderedDict[str, float] = OrderedDict()

    def add(self, key: str, at: float) -> None:
        """Remember ``key`` as of time ``at`` (seconds); forget what no longer fits."""
        self._entries[key] = at
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_size:
            self._entries.popitem(last=False)
        self.expire(at)

    def expire(self, now: float) -> None:
        """Forget entries older than the horizon."""
        cutoff = now - self.horizon_s
        while self._entries:
            key, at = next(iter(self._entries.items()))
            if at >= cutoff:
                break
            del self._entries[key]

    def contains(self, key: str, now: float) -> bool:
        at = self._entries.get(key)
        return at is not None and at >= now - self.horizon_s

    def __len__(self) -> int:
        return len(self._entries)
