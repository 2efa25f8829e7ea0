"""Topic names (with the configurable prefix) and the shape each topic is created with.

No callstream topic is compacted: each is a log of distinct events keyed by
call id, and compaction would keep only the newest event of each call. The
state that *is* compacted is the streams' table changelogs, which faust creates
with ``cleanup.policy=compact`` itself.

The streams worker's internal topics (``streams.by-call``, ``streams.by-key``,
``streams.ticks``, ``streams.tool-runs``) are made here too, with the same
partition count as the core topics: its joins need them co-partitioned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_LEGAL = re.compile(r"[A-Za-z0-9._-]*")

_DAY_MS = 24 * 3600 * 1000


def check_prefix(prefix: str) -> str:
    """Return ``prefix`` if topic names built from it are legal, else raise ``ValueError``."""
    if len(prefix) > 200 or not _LEGAL.fullmatch(prefix):
        raise ValueError("the topic prefix may hold up to 200 letters, digits, '.', '_' or '-'")
    return prefix


@dataclass(frozen=True)
class Topics:
    """The name of every topic callstream reads or writes."""

    prefix: str = "callstream."
    sources: Mapping[str, str] = field(default_factory=dict)
    """Source name → topic, from the config (source topics take no prefix: they are the
    enterprise's own)."""

    def _named(self, suffix: str) -> str:
        return f"{self.prefix}{suffix}"

    @property
    def tool_calls(self) -> str:
        return self._named("tool-calls")

    @property
    def tool_results(self) -> str:
        return self._named("tool-results")

    @property
    def call_events(self) -> str:
        return self._named("call-events")

    @property
    def supervisor(self) -> str:
        return self._named("supervisor")

    @property
    def injections(self) -> str:
        return self._named("injections")

    @property
    def deliveries(self) -> str:
        return self._named("deliveries")

    @property
    def dlq(self) -> str:
        return self._named("dlq")

    @property
    def streams_by_call(self) -> str:
        """Internal: records re-keyed by call id for the streams worker's join."""
        return self._named("streams.by-call")

    @property
    def streams_by_key(self) -> str:
        """Internal: correlation-index updates and source events keyed by correlation value."""
        return self._named("streams.by-key")

    @property
    def streams_ticks(self) -> str:
        """Internal: clock ticks, one per partition, so expiry runs where the state lives."""
        return self._named("streams.ticks")

    @property
    def streams_tool_runs(self) -> str:
        """Internal: accepted tool calls whose tool has an HTTP backend, for the tool runner."""
        return self._named("streams.tool-runs")

    def source(self, name: str) -> str:
        """The topic of source ``name`` (``KeyError`` if it is not configured)."""
        return self.sources[name]

    def core(self) -> dict[str, str]:
        """callstream's own topics by role."""
        return {
            "tool-calls": self.tool_calls,
            "tool-results": self.tool_results,
            "call-events": self.call_events,
            "supervisor": self.supervisor,
            "injections": self.injections,
            "deliveries": self.deliveries,
            "dlq": self.dlq,
        }

    def internal(self) -> dict[str, str]:
        """The streams worker's own topics by role (co-partitioned with the core topics)."""
        return {
            "streams.by-call": self.streams_by_call,
            "streams.by-key": self.streams_by_key,
            "streams.ticks": self.streams_ticks,
            "streams.tool-runs": self.streams_tool_runs,
        }


@dataclass(frozen=True)
class TopicSpec:
    """A topic as ``callstream topics create`` makes it."""

    name: str
    partitions: int
    replication_factor: int
    config: Mapping[str, str] = field(default_factory=dict)


# Retention per role: the inputs and outputs are kept a week (enough to replay
# a bad deploy's effects), the dead letters a month (people read them late).
_RETENTION_DAYS = {"dlq": 30}
_DEFAULT_RETENTION_DAYS = 7
# Ticks are a clock, worthless once processed; an hour covers any restart.
_RETENTION_MS = {"streams.ticks": 3600 * 1000}


def topic_specs(topics: Topics, *, partitions: int, replication_factor: int) -> list[TopicSpec]:
    """Every topic (README, *Kafka topics*), with its partitions, replication and configuration."""
    if partitions < 1 or replication_factor < 1:
        raise ValueError("partitions and replication factor must be at least 1")
    base: dict[str, str] = {"cleanup.policy": "delete"}
    if replication_factor >= 3:
        # Survive one broker down without losing acknowledged writes.
        base["min.insync.replicas"] = "2"
    specs = []
    for role, name in (topics.core() | topics.internal()).items():
        days = _RETENTION_DAYS.get(role, _DEFAULT_RETENTION_DAYS)
        retention_ms = _RETENTION_MS.get(role, days * _DAY_MS)
        specs.append(
            TopicSpec(
                name, partitions, replication_factor, base | {"retention.ms": str(retention_ms)}
            )
        )
    for name in sorted(set(topics.sources.values())):
        retention = {"retention.ms": str(_DEFAULT_RETENTION_DAYS * _DAY_MS)}
        specs.append(TopicSpec(name, partitions, replication_factor, base | retention))
    return specs
