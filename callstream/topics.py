"""Topic names (with the configurable prefix) and the shape each topic is created with.

No event topic is compacted: each is a log of distinct events keyed by call
id, and compaction would keep only the newest event of each call. What *is*
compacted is the streams worker's state: its two table changelogs
(``streams-calls-changelog``, ``streams-index-changelog``) hold the latest
value of each call and correlation key, and a worker restores its partitions
from them.

The streams worker's internal topics (``streams.by-call``, ``streams.by-key``,
``streams.tool-runs`` and the changelogs) are made here too, with the same
partition count as the core topics: its joins need them co-partitioned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

TABLES = ("calls", "index")
"""The streams worker's tables: the call registry, and the correlation index."""

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
    def followups(self) -> str:
        return self._named("followups")

    @property
    def undelivered(self) -> str:
        """Injections the injector could not deliver (``call_ended``, ``expired``), unchanged,
        for the streams worker to follow up; keyed by call id."""
        return self._named("undelivered")

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
    def streams_tool_runs(self) -> str:
        """Internal: accepted tool calls whose tool has an HTTP backend, for the tool runner."""
        return self._named("streams.tool-runs")

    def streams_changelog(self, table: str) -> str:
        """Internal, compacted: the latest value of every key of the worker's table ``table``.

        Named as faust named its changelogs, so state written before the engine
        was replaced is restored by the new one.
        """
        return self._named(f"streams-{table}-changelog")

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
            "followups": self.followups,
            "undelivered": self.undelivered,
            "dlq": self.dlq,
        }

    def internal(self) -> dict[str, str]:
        """The streams worker's own topics by role (co-partitioned with the core topics)."""
        return {
            "streams.by-call": self.streams_by_call,
            "streams.by-key": self.streams_by_key,
            "streams.tool-runs": self.streams_tool_runs,
            **self.changelogs(),
        }

    def changelogs(self) -> dict[str, str]:
        """The streams worker's table changelogs by role."""
        return {f"streams.{table}-changelog": self.streams_changelog(table) for table in TABLES}


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
# A changelog keeps the latest value per key however old; its segments roll
# hourly so the cleaner can compact them, which keeps a restore short.
_COMPACTED = {
    "cleanup.policy": "compact",
    "segment.ms": str(3600 * 1000),
    "min.cleanable.dirty.ratio": "0.1",
}


def topic_specs(topics: Topics, *, partitions: int, replication_factor: int) -> list[TopicSpec]:
    """Every topic (README, *Kafka topics*), with its partitions, replication and configuration."""
    if partitions < 1 or replication_factor < 1:
        raise ValueError("partitions and replication factor must be at least 1")
    base: dict[str, str] = {"cleanup.policy": "delete"}
    if replication_factor >= 3:
        # Survive one broker down without losing acknowledged writes.
        base["min.insync.replicas"] = "2"
    specs = []
    changelogs = topics.changelogs()
    for role, name in (topics.core() | topics.internal()).items():
        if role in changelogs:
            specs.append(TopicSpec(name, partitions, replication_factor, base | _COMPACTED))
            continue
        days = _RETENTION_DAYS.get(role, _DEFAULT_RETENTION_DAYS)
        retention = {"retention.ms": str(days * _DAY_MS)}
        specs.append(TopicSpec(name, partitions, replication_factor, base | retention))
    for name in sorted(set(topics.sources.values())):
        retention = {"retention.ms": str(_DEFAULT_RETENTION_DAYS * _DAY_MS)}
        specs.append(TopicSpec(name, partitions, replication_factor, base | retention))
    return specs
