"""When each key of each owned partition next needs a clock tick's attention.

The tables hold the truth; this is an in-memory index over them, so a tick
looks at the few keys that are due instead of decoding every call. It is
derived state: a partition's index is rebuilt from its table when the
partition is restored, and a stale entry is harmless because the tick
re-checks the key's real deadline before acting.
It also yields the table sizes the metrics report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from streams.partitioning import partition_for

Entry = tuple[float | None, str]
"""A key's next deadline (``None``: none) and a label (its status) for the size metrics."""


class Deadlines:
    """Per table and partition: key → (next deadline, label)."""

    def __init__(self, partitions: int) -> None:
        self._partitions = partitions
        self._index: dict[tuple[str, int], dict[str, Entry]] = {}

    def rebuild(self, table: str, partition: int, entries: Iterable[tuple[str, Entry]]) -> None:
        """Index ``partition`` of ``table`` afresh from its keys (after a restore)."""
        self._index[table, partition] = dict(entries)

    def drop(self, partitions: Iterable[int]) -> None:
        """Drop the index of ``partitions`` (revoked or lost)."""
        gone = set(partitions)
        for table, partition in list(self._index):
            if partition in gone:
                del self._index[table, partition]

    def record(self, table: str, key: str, entry: Entry | None) -> None:
        """``key`` was written with this entry (``None``: deleted)."""
        partition = partition_for(key, self._partitions)
        index = self._index.setdefault((table, partition), {})
        if entry is None:
            index.pop(key, None)
        else:
            index[key] = entry

    def due(self, table: str, partition: int, now: float) -> list[str]:
        """Keys on ``partition`` whose deadline is at or before ``now``."""
        index = self._index.get((table, partition), {})
        return [key for key, (when, _) in index.items() if when is not None and when <= now]

    def sizes(self, table: str) -> Counter[str]:
        """How many keys of ``table`` carry each label, over the partitions indexed."""
        counts: Counter[str] = Counter()
        for (name, _), index in self._index.items():
            if name == table:
                counts.update(label for _, label in index.values())
        return counts
