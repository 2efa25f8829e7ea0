"""The faust tables behind the join, seen as the plain reads and writes the core needs.

Both tables use ``use_partitioner=True``: the changelog partition of a key is
its murmur2 hash, the same partition its inputs are on, so state is written
and recovered by whichever worker owns that partition without depending on
which event happens to be current.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from streams.batch import TableName
from streams.decide import correlation, expiry
from streams.decide.rules import Rules
from streams.state.calls import decode_call
from streams.state.deadlines import Entry
from streams.state.index import decode_entry


class StateTables:
    """Reads and writes of the ``calls`` and ``index`` tables (bytes keys and values)."""

    def __init__(self, tables: Mapping[TableName, Any], rules: Rules) -> None:
        self._tables = tables
        self._rules = rules

    def read(self, table: TableName, key: str) -> bytes | None:
        value: bytes | None = self._tables[table].get(key.encode())
        return value

    def write(self, writes: Mapping[tuple[TableName, str], bytes | None]) -> None:
        for (table, key), value in writes.items():
            store = self._tables[table]
            encoded = key.encode()
            if value is not None:
                store[encoded] = value
            elif encoded in store:
                del store[encoded]

    def entries(self, table: TableName) -> Iterator[tuple[str, Entry]]:
        """Every stored key with its deadline-index entry (to rebuild after a rebalance)."""
        for raw_key, value in list(self._tables[table].items()):
            key = raw_key.decode() if isinstance(raw_key, bytes) else str(raw_key)
            try:
                if table == "calls":
                    state = decode_call(value)
                    yield key, (expiry.next_deadline(state, self._rules), state.status)
                else:
                    entry = decode_entry(value)
                    label = "held" if entry.held else "keys"
                    yield key, (correlation.next_deadline(entry, self._rules), label)
            except ValueError:
                yield key, (0.0, "corrupt")  # due at once: the tick decides what to do

    def count(self, table: TableName) -> int:
        return len(self._tables[table])
