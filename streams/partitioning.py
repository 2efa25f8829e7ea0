"""Which partition a key (a call id, a correlation key) lives on.

Kafka's default partitioner: murmur2 of the key's UTF-8 bytes, as the Java
client and librdkafka's ``murmur2_random`` (callstream's ``producer_config``)
compute it. Every producer writing callstream's call-keyed topics must use
it, or a call's records land on different partition numbers and the join
cannot see them together; the worker re-routes a record that arrives on the
wrong partition (counted in ``callstream_streams_misrouted_total``).

The hash is written out here (Kafka's ``Utils.murmur2``) because no client
library exposes it; its unit tests hold it to the Java client's own vectors.
"""

from __future__ import annotations

import struct
from functools import lru_cache

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's 32-bit murmur2 of ``data``, as an unsigned integer."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    whole = length - length % 4
    for word in struct.unpack_from(f"<{whole // 4}I", data):
        k = (word * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = length % 4
    if tail == 3:
        h ^= data[whole + 2] << 16
    if tail >= 2:
        h ^= data[whole + 1] << 8
    if tail >= 1:
        h ^= data[whole]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h


@lru_cache(maxsize=1 << 17)
def partition_for(key: str, partitions: int) -> int:
    """The partition of ``key`` among ``partitions``."""
    if partitions < 1:
        raise ValueError("a topic has at least one partition")
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions
