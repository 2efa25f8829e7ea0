"""Choosing the broker to kill, and the topics that count, without a cluster."""

from __future__ import annotations

import pytest

from callstream.topics import Topics
from devkit.chaos.scenarios.cluster import (
    SESSION_TIMEOUT_S,
    Placement,
    busiest_leader,
    pipeline_topics,
    replicated,
)
from devkit.dev.config import demo_config


def test_the_broker_leading_most_partitions_is_chosen() -> None:
    """Broker 2 leads three of five partitions; partitions without a leader do not count."""
    placed = {
        ("a", 0): Placement(1, (1, 2, 3)),
        ("a", 1): Placement(2, (1, 2, 3)),
        ("b", 0): Placement(2, (2, 3)),
        ("b", 1): Placement(2, (1, 2)),
        ("b", 2): Placement(-1, ()),
    }
    assert busiest_leader(placed) == (2, 3)


def test_a_tie_goes_to_the_lowest_id() -> None:
    """Same count: the choice is stable from run to run."""
    placed = {("a", 0): Placement(3, (3,)), ("a", 1): Placement(1, (1,))}
    assert busiest_leader(placed) == (1, 1)


def test_no_leader_at_all_is_an_error() -> None:
    """A cluster with no leader has nothing to kill that the test could learn from."""
    with pytest.raises(ValueError, match="no partition has a leader"):
        busiest_leader({("a", 0): Placement(-1, ())})


def test_the_pipeline_topics_include_internal_and_source_topics() -> None:
    """Leaders are counted over every topic the pipeline uses, each once."""
    topics = Topics(prefix="p.", sources={"crm": "p.crm.events", "fraud": "p.crm.events"})
    names = pipeline_topics(topics)
    assert "p.injections" in names
    assert "p.streams-calls-changelog" in names
    assert names.count("p.crm.events") == 1
    assert names == sorted(names)


def test_the_cluster_rows_run_on_three_replicas_with_sessions_past_a_failover() -> None:
    """Replication factor 3, and both groups' sessions longer than a coordinator's move."""
    config = replicated(demo_config())
    assert config.topics.replication_factor == 3
    assert config.streams.session_timeout_s == SESSION_TIMEOUT_S
    assert config.injector.session_timeout_s == SESSION_TIMEOUT_S
    assert demo_config().streams.session_timeout_s < SESSION_TIMEOUT_S, "the default stays"
