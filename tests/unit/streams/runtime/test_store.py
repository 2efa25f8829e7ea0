"""The in-memory tables: per partition, restored in order, changed by batches, dropped on revoke."""

from __future__ import annotations

from callstream.topics import Topics
from streams.partitioning import partition_for
from streams.runtime.store import TableStore, changelog_records

PARTITIONS = 4
KEYS = [f"v3:store-{i}" for i in range(40)]


def test_a_restore_applies_changelog_records_in_order_tombstones_included() -> None:
    """The last value wins; a tombstone deletes; other partitions are untouched."""
    store = TableStore(PARTITIONS)
    key = KEYS[0]
    partition = partition_for(key, PARTITIONS)
    store.load("calls", partition, [(key, b"1"), (key, b"2")])
    assert store.read("calls", key) == b"2"
    store.load("calls", partition, [(key, None)])
    assert store.read("calls", key) is None
    assert store.read("index", key) is None


def test_batches_write_and_revoked_partitions_are_forgotten() -> None:
    """Writes land on each key's own partition; dropping a partition forgets only its keys."""
    store = TableStore(PARTITIONS)
    store.apply({("calls", key): key.encode() for key in KEYS})
    assert all(store.read("calls", key) == key.encode() for key in KEYS)
    gone = partition_for(KEYS[0], PARTITIONS)
    store.drop([gone])
    for key in KEYS:
        expected = None if partition_for(key, PARTITIONS) == gone else key.encode()
        assert store.read("calls", key) == expected
    assert store.size("calls") == sum(partition_for(k, PARTITIONS) != gone for k in KEYS)


def test_changelog_records_go_to_the_partition_of_their_key() -> None:
    """Each write becomes one record on its table's changelog, on its key's partition."""
    topics = Topics(prefix="t.")
    records = changelog_records(
        topics, PARTITIONS, {("calls", KEYS[1]): b"state", ("index", "phone:+1555"): None}
    )
    assert [(r.topic, r.key, r.value, r.partition) for r in records] == [
        ("t.streams-calls-changelog", KEYS[1].encode(), b"state", partition_for(KEYS[1], 4)),
        ("t.streams-index-changelog", b"phone:+1555", None, partition_for("phone:+1555", 4)),
    ]
