"""Poison records: every kind on every input topic, each traceable, none past Kafka's limit."""

from __future__ import annotations

import json

import pytest

from callstream.topics import Topics
from devkit.chaos.ledger import tokens_in
from devkit.chaos.poison import KINDS, input_topics, poison_records

TOPICS = Topics(prefix="t.", sources={"crm": "t.crm", "fraud": "t.fraud"})


def test_every_input_topic_gets_every_kind() -> None:
    """Each topic a stage reads, sources and internal topics included, gets all three kinds."""
    records = poison_records(TOPICS, run="0123abcd", key=b"v3:call")
    by_topic = {(r.topic, r.kind) for r in records}
    assert by_topic == {(topic, kind) for topic in input_topics(TOPICS) for kind in KINDS}
    assert {"t.crm", "t.fraud", TOPICS.injections, TOPICS.streams_by_call} <= {
        r.topic for r in records
    }
    assert not {r.topic for r in records} & set(TOPICS.changelogs().values())


def test_each_record_carries_its_own_token_where_the_dlq_keeps_it() -> None:
    """The token is found again in the raw value, whatever the kind, and no two share one."""
    records = poison_records(TOPICS, run="0123abcd", key=b"v3:call")
    assert [tokens_in(r.value) for r in records] == [[r.token] for r in records]
    assert len({r.token for r in records}) == len(records)


@pytest.mark.parametrize("kind", KINDS)
def test_the_kinds_are_what_they_say(kind: str) -> None:
    """not_json does not parse; wrong_schema parses to an object; huge is near, not past, 1 MiB."""
    record = next(r for r in poison_records(TOPICS, run="0123abcd", key=b"k") if r.kind == kind)
    if kind == "not_json":
        with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)):
            json.loads(record.value)
    else:
        assert isinstance(json.loads(record.value), dict)
    if kind == "huge":
        assert 800_000 < len(record.value) < 1_000_000
