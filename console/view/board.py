"""The bounded in-memory view: every live call, recently ended ones, dead letters, latencies.

Bounds (``ConsoleConfig``): at most ``max_calls`` calls (the least recently
active go first), at most ``max_ended_calls`` ended ones, each for at most
``ended_keep_s``; a call silent for ``idle_forget_s`` is forgotten (its hangup
was never seen); ``max_entries_per_call`` entries per call; the newest
``max_dead_letters`` dead letters; deliveries within ``latency_window_s``.
A forgotten call is remembered as forgotten (bounded too), so a late record
does not bring it back as live. Pure: time comes in as arguments.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from callstream.config import ConsoleConfig
from callstream.stats import percentile
from console.view.entries import CallView, Entry

FORGOTTEN_IDS = 10_000
"""Forgotten call ids remembered, so their late records are ignored."""
UNPLACED_EVENTS = 1_000
"""Source events not yet tied to a call (routed by a key), kept until their injection says
which call they reached."""
KNOWN_CAUSES = 10_000
"""(source, cause id) -> call of recent injections, for source events read after them (a
rebuild reads the topics side by side, in no particular order)."""
LATENCY_SAMPLES = 100_000
"""Deliveries kept for the latency panel at most, however busy the window."""


@dataclass(frozen=True, slots=True)
class DeadLetterView:
    """One dead letter: where it sits in the DLQ, why it is there, where it came from."""

    partition: int
    offset: int
    at: datetime
    stage: str
    reason: str
    error: str
    topic: str
    call_control_id: str | None
    trace_id: str | None


@dataclass(frozen=True, slots=True)
class Latency:
    """End-to-end latency (cause -> remote) of the deliveries in the window."""

    count: int
    p50_ms: float | None
    p99_ms: float | None
    window_s: float


class Board:
    """Calls by id, with their timelines; the console's whole state."""

    def __init__(self, config: ConsoleConfig) -> None:
        self.config = config
        self.calls: OrderedDict[str, CallView] = OrderedDict()
        """By last activity, least recent first."""
        self.dead_letters: deque[DeadLetterView] = deque(maxlen=config.max_dead_letters)
        self._latencies: deque[tuple[datetime, float]] = deque(maxlen=LATENCY_SAMPLES)
        self._forgotten: OrderedDict[str, None] = OrderedDict()
        self._unplaced: OrderedDict[tuple[str, str], Entry] = OrderedDict()
        self._causes: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._by_customer: dict[str, str] = {}
        self._by_phone: dict[str, str] = {}
        self.version = 0
        """Moves on every change: the live pages re-render when it has."""
        self.unreadable = 0

    # -- calls -----------------------------------------------------------------------
    def call(self, call_id: str, at: datetime) -> CallView | None:
        """The view of ``call_id`` (made on its first record), or None if it was forgotten."""
        if call_id in self._forgotten:
            return None
        view = self.calls.get(call_id)
        if view is None:
            view = CallView(call_control_id=call_id, first_at=at, last_at=at)
            self.calls[call_id] = view
        else:
            view.first_at = min(view.first_at, at)
            view.last_at = max(view.last_at, at)
            self.calls.move_to_end(call_id)
        self.version += 1
        return view

    def add(self, view: CallView, entry: Entry) -> None:
        """Put ``entry`` on ``view``'s timeline in time order (records arrive topic by topic)."""
        if len(view.entries) >= self.config.max_entries_per_call:
            view.dropped_entries += 1
            return
        bisect.insort(view.entries, entry, key=lambda e: e.order)
        self.version += 1

    def index(self, view: CallView, *, phone: str | None, customer_id: str | None) -> None:
        """Remember the keys source events may name this call by."""
        if phone:
            self._by_phone[phone] = view.call_control_id
        if customer_id:
            self._by_customer[customer_id] = view.call_control_id

    def by_key(self, *, phone: str | None, customer_id: str | None, at: datetime) -> str | None:
        """The call a source event's correlation key names, if one is known and was not over
        by the event's time ``at``."""
        for key, known in ((phone, self._by_phone), (customer_id, self._by_customer)):
            found = known.get(key) if key else None
            view = self.calls.get(found) if found is not None else None
            if view is not None and (view.ended_at is None or at <= view.ended_at):
                return found
        return None

    def caused(self, source: str, cause_id: str, call_id: str) -> None:
        """Remember that ``source``'s event ``cause_id`` led to an injection into ``call_id``."""
        self._causes[(source, cause_id)] = call_id
        while len(self._causes) > KNOWN_CAUSES:
            self._causes.popitem(last=False)

    def call_caused_by(self, source: str, event_id: str) -> str | None:
        """The call an injection said this source event reached, if one was read already."""
        return self._causes.get((source, event_id))

    def hold_unplaced(self, source: str, event_id: str, entry: Entry) -> None:
        """A source event whose call is not known yet: placed when its injection arrives."""
        self._unplaced[(source, event_id)] = entry
        while len(self._unplaced) > UNPLACED_EVENTS:
            self._unplaced.popitem(last=False)

    def take_unplaced(self, source: str, cause_id: str) -> Entry | None:
        return self._unplaced.pop((source, cause_id), None)

    # -- outcomes beyond one call -------------------------------------------------------
    def dead_lettered(self, letter: DeadLetterView) -> None:
        self.dead_letters.append(letter)
        self.version += 1

    def delivered(self, at: datetime, latency_ms: float) -> None:
        self._latencies.append((at, latency_ms))
        self.version += 1

    def latency(self, now: datetime) -> Latency:
        """p50 and p99 of the deliveries within the window before ``now``."""
        window = self.config.latency_window_s
        since = now - timedelta(seconds=window)
        values = [ms for at, ms in self._latencies if at >= since]
        return Latency(len(values), percentile(values, 0.50), percentile(values, 0.99), window)

    # -- bounds ----------------------------------------------------------------------------
    def prune(self, now: datetime) -> None:
        """Forget what the bounds leave no room for."""
        config = self.config
        idle_before = now - timedelta(seconds=config.idle_forget_s)
        ended_before = now - timedelta(seconds=config.ended_keep_s)
        doomed = [
            view.call_control_id
            for view in self.calls.values()
            if view.last_at < idle_before
            or (view.ended_at is not None and view.ended_at < ended_before)
        ]
        ended = sorted(
            (v for v in self.calls.values() if v.ended_at is not None),
            key=lambda v: v.ended_at or now,
        )
        doomed += [v.call_control_id for v in ended[: max(0, len(ended) - config.max_ended_calls)]]
        for call_id in doomed:
            self._forget(call_id)
        while len(self.calls) > config.max_calls:
            self._forget(next(iter(self.calls)))
        window_start = now - timedelta(seconds=config.latency_window_s)
        while self._latencies and self._latencies[0][0] < window_start:
            self._latencies.popleft()

    def _forget(self, call_id: str) -> None:
        if self.calls.pop(call_id, None) is None:
            return
        self._forgotten[call_id] = None
        while len(self._forgotten) > FORGOTTEN_IDS:
            self._forgotten.popitem(last=False)
        for known in (self._by_phone, self._by_customer):
            for key in [k for k, v in known.items() if v == call_id]:
                del known[key]
        self.version += 1

    # -- reading -------------------------------------------------------------------------
    def newest_first(self) -> Iterator[CallView]:
        """Live calls first, each group most recently active first."""
        views = list(reversed(self.calls.values()))
        yield from (v for v in views if v.live)
        yield from (v for v in views if not v.live)
