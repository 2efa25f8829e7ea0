"""Releasing work finished out of order, in the order it arrived, lane by lane.

faust commits a partition's offset past every acknowledged record it can
chain from the last commit; when records of one partition are acknowledged
out of order it can commit past one still being worked on, and a crash then
loses that record (faust-streaming issue #606: with the committed offset at
the in-flight record and the next ones acknowledged, the head gap is one
offset wide, which faust takes for a compacted-away record). An agent that
works on several records at once therefore acknowledges through
``InOrderRelease``: a record is handed back for acknowledgement only once it
and every record that arrived before it on its lane (its topic partition) are
finished, so no acknowledged offset ever lies above an unfinished one.

Pure bookkeeping: no faust, no clock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(slots=True, eq=False)
class Ticket(Generic[T]):
    """One piece of work on a lane; hand it back to ``InOrderRelease.finish`` when done."""

    lane: Hashable
    item: T
    finished: bool = False


class InOrderRelease(Generic[T]):
    """Per lane, releases items in arrival order, each once it and all before it are finished."""

    def __init__(self) -> None:
        self._lanes: dict[Hashable, deque[Ticket[T]]] = {}

    def add(self, lane: Hashable, item: T) -> Ticket[T]:
        """Note ``item`` as arrived on ``lane`` and unfinished."""
        ticket = Ticket(lane, item)
        self._lanes.setdefault(lane, deque()).append(ticket)
        return ticket

    def finish(self, ticket: Ticket[T]) -> list[T]:
        """Mark ``ticket`` finished; return the items released by it, oldest first."""
        if ticket.finished:
            raise ValueError("this ticket was already finished")
        ticket.finished = True
        queue = self._lanes[ticket.lane]
        released = []
        while queue and queue[0].finished:
            released.append(queue.popleft().item)
        if not queue:
            del self._lanes[ticket.lane]
        return released

    @property
    def unfinished(self) -> int:
        """Items added and not yet released (finished ones waiting behind others included)."""
        return sum(len(queue) for queue in self._lanes.values())
