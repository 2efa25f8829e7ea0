"""Topic names follow the prefix; topic specs match the README's *Kafka topics* table."""

from __future__ import annotations

import pytest

from callstream.topics import Topics, check_prefix, topic_specs


def test_names_take_the_prefix_and_sources_do_not() -> None:
    """callstream's own topics are prefixed; a source's topic is the enterprise's own name."""
    topics = Topics(prefix="acme.", sources={"crm": "crm.events"})
    assert topics.tool_calls == "acme.tool-calls"
    assert topics.dlq == "acme.dlq"
    assert topics.source("crm") == "crm.events"


def test_specs_cover_every_topic_once() -> None:
    """Every core, internal and source topic is specified exactly once."""
    topics = Topics(sources={"crm": "crm.events", "fraud": "fraud.alerts"})
    specs = topic_specs(topics, partitions=12, replication_factor=1)
    names = [spec.name for spec in specs]
    expected = [*topics.core().values(), *topics.internal().values(), "crm.events", "fraud.alerts"]
    assert sorted(names) == sorted(expected)
    assert all(spec.partitions == 12 for spec in specs)
    compacted = {s.name for s in specs if s.config["cleanup.policy"] == "compact"}
    assert compacted == set(topics.changelogs().values())
    assert all(s.config["cleanup.policy"] == "delete" for s in specs if s.name not in compacted)


def test_replicated_topics_require_two_in_sync_replicas() -> None:
    """With three replicas, acknowledged writes survive the loss of one broker."""
    specs = topic_specs(Topics(), partitions=3, replication_factor=3)
    assert all(spec.config["min.insync.replicas"] == "2" for spec in specs)
    single = topic_specs(Topics(), partitions=3, replication_factor=1)
    assert all("min.insync.replicas" not in spec.config for spec in single)


def test_dead_letters_are_kept_longer() -> None:
    """The DLQ keeps a month; the rest a week."""
    specs = {s.name: s for s in topic_specs(Topics(), partitions=1, replication_factor=1)}
    assert int(specs["callstream.dlq"].config["retention.ms"]) > int(
        specs["callstream.injections"].config["retention.ms"]
    )


@pytest.mark.parametrize("prefix", ["has space.", "slash/", "x" * 201])
def test_illegal_prefixes_are_refused(prefix: str) -> None:
    """A prefix that would make illegal topic names is refused."""
    with pytest.raises(ValueError, match="prefix"):
        check_prefix(prefix)
