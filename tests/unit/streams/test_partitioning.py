"""The key hash and partition choice agree with Kafka's Java client (and so with librdkafka)."""

from __future__ import annotations

import pytest

from streams.partitioning import murmur2, partition_for

# Kafka's own UtilsTest vectors (Java prints them signed; these are the same bits unsigned),
# plus a few that exercise every tail length and non-ASCII bytes.
VECTORS = [
    (b"21", 3_321_034_988),
    (b"foobar", 3_504_634_814),
    (b"a-little-bit-long-string", 3_308_985_760),
    (b"a-little-bit-longer-string", 2_808_662_467),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 4_236_069_325),
    (b"abc", 479_470_107),
    (b"", 275_646_681),
    (b"v3:abc", 3_885_801_252),
    ("é".encode(), 186_971_271),
]


@pytest.mark.parametrize(("data", "expected"), VECTORS)
def test_murmur2_matches_the_java_client(data: bytes, expected: int) -> None:
    """Each vector hashes to the value Kafka's Java client computes."""
    assert murmur2(data) == expected


def test_partition_is_the_positive_hash_modulo_the_count() -> None:
    """The sign bit is dropped before the modulo, as Kafka's default partitioner does."""
    assert partition_for("21", 12) == (3_321_034_988 & 0x7FFFFFFF) % 12
    assert {partition_for(f"v3:call-{n}", 4) for n in range(200)} == {0, 1, 2, 3}


def test_a_topic_needs_a_partition() -> None:
    """Zero partitions is refused rather than divided by."""
    with pytest.raises(ValueError, match="at least one partition"):
        partition_for("v3:abc", 0)
