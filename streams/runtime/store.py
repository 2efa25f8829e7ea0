"""The ``calls`` and ``index`` tables of the partitions this worker owns, held in memory.

Values are the compact JSON bytes the core encodes (``streams.state``), keyed
by call id or correlation key, one dict per table and partition, so a
partition's state can be restored, dropped or scanned on its own. A key
always lives on the partition its murmur2 hash names, the same partition its
inputs arrive on and its changelog records are written to.

The store only holds what it is given; the order in which writes reach it
and the changelog is ``streams.runtime.checkpoint``'s business.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from callstream.topics import Topics
from streams.batch import Key, TableName
from streams.partitioning import partition_for
from streams.wire import OutRecord

TABLE_NAMES: tuple[TableName, ...] = ("calls", "index")


class TableStore:
    """Per table and owned partition: key → stored bytes."""

    def __init__(self, partitions: int) -> None:
        self._partitions = partitions
        self._data: dict[TableName, dict[int, dict[str, bytes]]] = {
            table: {} for table in TABLE_NAMES
        }

    def read(self, table: TableName, key: str) -> bytes | None:
        """The stored value of ``key`` (``None``: absent, or its partition is not held here)."""
        held = self._data[table].get(partition_for(key, self._partitions))
        return None if held is None else held.get(key)

    def open(self, partition: int) -> None:
        """Start holding ``partition`` (empty until restored or written)."""
        for table in TABLE_NAMES:
            self._data[table].setdefault(partition, {})

    def load(
        self, table: TableName, partition: int, entries: Iterable[tuple[str, bytes | None]]
    ) -> None:
        """Apply changelog records of ``partition`` in order (``None`` deletes the key)."""
        held = self._data[table].setdefault(partition, {})
        for key, value in entries:
            if value is None:
                held.pop(key, None)
            else:
                held[key] = value

    def apply(self, writes: Mapping[Key, bytes | None]) -> None:
        """Make a batch's writes the current state."""
        for (table, key), value in writes.items():
            held = self._data[table].setdefault(partition_for(key, self._partitions), {})
            if value is None:
                held.pop(key, None)
            else:
                held[key] = value

    def drop(self, partitions: Iterable[int]) -> None:
        """Forget ``partitions`` (revoked or lost: their next owner restores them)."""
        for partition in partitions:
            for table in TABLE_NAMES:
                self._data[table].pop(partition, None)

    def entries(self, table: TableName, partition: int) -> Iterator[tuple[str, bytes]]:
        """Every key of ``table`` on ``partition`` with its value."""
        yield from self._data[table].get(partition, {}).items()

    def size(self, table: TableName) -> int:
        return sum(len(held) for held in self._data[table].values())


def changelog_records(
    topics: Topics, partitions: int, writes: Mapping[Key, bytes | None]
) -> list[OutRecord]:
    """The changelog records of a batch's writes: each key to its own partition's changelog."""
    return [
        OutRecord(
            topics.streams_changelog(table),
            key.encode(),
            value,
            [],
            partition_for(key, partitions),
        )
        for (table, key), value in writes.items()
    ]
