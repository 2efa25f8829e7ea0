"""Which offsets may be committed: the highest one below which every record's outcome is recorded.

Records of one partition finish out of order (many calls proceed at once), so
the committable offset is the one just past the longest finished prefix of
what this consumer received. ``OffsetTracker`` keeps that per partition, with
a generation per assignment so work left over from an earlier assignment of
the same partition can be recognised and dropped.

Pure bookkeeping: no Kafka calls. It must never report an offset as
committable while an earlier received record is unfinished.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable


class PartitionOffsets:
    """One partition: received offsets in order, which of them are finished."""

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self._pending: deque[int] = deque()
        self._done: set[int] = set()
        self._next: int | None = None  # committable: one past the finished prefix
        self._committed: int | None = None

    def add(self, offset: int) -> None:
        if self._pending and offset <= self._pending[-1]:
            raise ValueError(f"offset {offset} arrived after {self._pending[-1]}")
        if not self._pending and self._next is not None and offset < self._next:
            raise ValueError(f"offset {offset} is below the committable {self._next}")
        self._pending.append(offset)

    def finish(self, offset: int) -> None:
        self._done.add(offset)
        while self._pending and self._pending[0] in self._done:
            head = self._pending.popleft()
            self._done.discard(head)
            self._next = head + 1

    @property
    def unfinished(self) -> int:
        return len(self._pending) - len(self._done)

    @property
    def committable(self) -> int | None:
        """The offset to commit (the next one to read after a restart), or None if none yet."""
        return self._next

    @property
    def oldest_unfinished(self) -> int | None:
        return self._pending[0] if self._pending else None

    def take_commit(self) -> int | None:
        """The committable offset if it moved since the last take, else None."""
        if self._next is None or self._next == self._committed:
            return None
        self._committed = self._next
        return self._next


class OffsetTracker:
    """Per-partition offset bookkeeping for one consumer's current assignment."""

    def __init__(self) -> None:
        self._partitions: dict[int, PartitionOffsets] = {}
        self._generation = 0

    def assign(self, partitions: Iterable[int]) -> None:
        for partition in partitions:
            self._generation += 1
            self._partitions[partition] = PartitionOffsets(self._generation)

    def release(self, partitions: Iterable[int]) -> dict[int, int]:
        """Forget ``partitions``; return the committable offset of each that has one."""
        final: dict[int, int] = {}
        for partition in partitions:
            state = self._partitions.pop(partition, None)
            if state is not None and state.committable is not None:
                final[partition] = state.committable
        return final

    def generation(self, partition: int) -> int | None:
        """The current assignment's generation of ``partition``; None when not assigned."""
        state = self._partitions.get(partition)
        return state.generation if state is not None else None

    def owns(self, partition: int, generation: int) -> bool:
        """Whether a record of that partition and generation is still ours to finish."""
        return self.generation(partition) == generation

    def add(self, partition: int, offset: int) -> int:
        """Note a received record; return the generation it belongs to."""
        state = self._partitions[partition]
        state.add(offset)
        return state.generation

    def finish(self, partition: int, generation: int, offset: int) -> bool:
        """Mark a record finished; False (and no effect) if its partition moved on meanwhile."""
        if not self.owns(partition, generation):
            return False
        self._partitions[partition].finish(offset)
        return True

    def commits(self) -> dict[int, int]:
        """Partitions whose committable offset moved since last asked, with that offset."""
        moved = {}
        for partition, state in self._partitions.items():
            offset = state.take_commit()
            if offset is not None:
                moved[partition] = offset
        return moved

    def committable(self) -> dict[int, int]:
        """Every partition's committable offset (for a final, synchronous commit)."""
        return {p: s.committable for p, s in self._partitions.items() if s.committable is not None}

    def oldest_unfinished(self, partition: int) -> int | None:
        state = self._partitions.get(partition)
        return state.oldest_unfinished if state is not None else None

    def next_to_commit(self, partition: int) -> int | None:
        state = self._partitions.get(partition)
        return state.committable if state is not None else None

    @property
    def partitions(self) -> list[int]:
        return list(self._partitions)

    @property
    def unfinished(self) -> int:
        return sum(s.unfinished for s in self._partitions.values())
