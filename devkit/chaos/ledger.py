"""What the senders were told: every item sent, every acceptance, every answer on the way.

An item is one message meant for one live call. It is named by a *token* that
travels inside it (the supervisor note's text, the event's data, the tool's
argument), so whatever reaches the call, or the dead-letter topic, is traced
back to its item by reading the token, without knowing how any stage derives
its ids. An item is *accepted* when its sender was told so: a 2xx from the
ingress, or a produce the broker acknowledged. That is the promise the judge
holds the pipeline to.

Thread-safe: the load runs in a thread of its own. Never decides anything;
``judge`` does.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import Counter
from dataclasses import dataclass

TOKEN_PATTERN = re.compile(rb"chaos-[0-9a-f]{8}-[0-9a-z]+-[0-9]+")

ORDERED_CHANNELS = frozenset({"supervisor", "crm", "fraud"})
"""Channels whose items of one call keep their order end to end (one topic, keyed by call).

Tool results are not among them: the tool runner calls backends concurrently,
so two lookups of one call may finish, and be injected, in either order."""


def new_run_id() -> str:
    """A short id that keeps this run's tokens apart from every other run's."""
    return uuid.uuid4().hex[:8]


def make_token(run: str, sender: str, seq: int) -> str:
    """The token of the ``seq``-th item of ``sender`` (lowercase letters and digits) in ``run``."""
    return f"chaos-{run}-{sender}-{seq}"


def tokens_in(data: bytes | str | None) -> list[str]:
    """Every token in ``data``, in order (any bytes: a poison record need not be text)."""
    if data is None:
        return []
    raw = data.encode() if isinstance(data, str) else data
    return [match.decode() for match in TOKEN_PATTERN.findall(raw)]


@dataclass(frozen=True)
class Item:
    """One message for one call, sent through one channel; ``seq`` orders a call's items."""

    token: str
    call_control_id: str
    channel: str
    seq: int

    @property
    def ordered(self) -> bool:
        return self.channel in ORDERED_CHANNELS


@dataclass(frozen=True)
class Accepted:
    """An item its sender was told was accepted, when, and after how many tries."""

    item: Item
    at: float
    attempts: int


class Ledger:
    """Everything the senders sent and heard, for one scenario."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accepted: list[Accepted] = []
        self._sent: set[str] = set()
        self._abandoned: list[Item] = []
        self._answers: Counter[str] = Counter()

    def sent(self, token: str) -> None:
        """``token`` left a sender (whatever it was then told)."""
        with self._lock:
            self._sent.add(token)

    def answered(self, answer: str) -> None:
        """Count one answer: a status (``"202"``, ``"503"``) or a failure (``"timeout"``)."""
        with self._lock:
            self._answers[answer] += 1

    def accepted(self, item: Item, *, at: float, attempts: int) -> None:
        """The sender of ``item`` was told it was accepted, at ``at`` (unix seconds)."""
        with self._lock:
            self._sent.add(item.token)
            self._accepted.append(Accepted(item, at, attempts))

    def abandoned(self, item: Item) -> None:
        """The sender gave up on ``item`` without ever being told it was accepted."""
        with self._lock:
            self._abandoned.append(item)

    @property
    def accepted_items(self) -> tuple[Accepted, ...]:
        with self._lock:
            return tuple(self._accepted)

    @property
    def sent_tokens(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._sent)

    @property
    def abandoned_items(self) -> tuple[Item, ...]:
        with self._lock:
            return tuple(self._abandoned)

    @property
    def answers(self) -> Counter[str]:
        with self._lock:
            return Counter(self._answers)
