"""Which partition a key (a call id, a correlation key) lives on.

Kafka's default partitioner: murmur2 of the key's UTF-8 bytes, as the Java
client, aiokafka (faust's producer) and librdkafka's ``murmur2_random`` compute
it. Every producer writing callstream's call-keyed topics must use it, or a
call's records land on different partition numbers and the join cannot see
them together; the worker re-routes a record that arrives on the wrong
partition (counted in ``callstream_streams_misrouted_total``).
"""

from __future__ import annotations

from functools import lru_cache

from aiokafka.partitioner import murmur2


@lru_cache(maxsize=65536)
def partition_for(key: str, partitions: int) -> int:
    """The partition of ``key`` among ``partitions``."""
    if partitions < 1:
        raise ValueError("a topic has at least one partition")
    hashed: int = murmur2(key.encode())
    return (hashed & 0x7FFFFFFF) % partitions
