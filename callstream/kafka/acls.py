"""The Kafka ACLs each service needs on a cluster with an authorizer, in one place.

The README's table (*Connecting to your Kafka*) is rendered from here and a
unit test checks it word for word; the secured integration test grants
exactly these to three users and runs the pipeline. Pure data: what each
service reads and writes follows from the topic names and its groups.

``READ``/``WRITE`` on a topic imply ``DESCRIBE`` (metadata), so they are
the only topic operations listed. An idempotent producer needs nothing more
than ``WRITE`` on its topics (KIP-679).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from callstream.topics import Topics

ResourceKind = Literal["topic", "group", "transactional-id"]
Pattern = Literal["literal", "prefixed"]
Operation = Literal["READ", "WRITE"]

SERVICES = ("ingress", "streams", "injector", "console")

INJECTOR_LEDGER_GROUPS = "callstream-injector-ledger-"
"""The injector's throw-away groups (one per start, never committed) that re-read deliveries."""


@dataclass(frozen=True, order=True)
class Acl:
    """One ALLOW rule for a service's principal."""

    resource: ResourceKind
    name: str
    pattern: Pattern
    operation: Operation
    note: str = ""


def _topics(names: Iterable[str], operation: Operation, note: str = "") -> list[Acl]:
    return [Acl("topic", name, "literal", operation, note) for name in names]


def service_acls(
    topics: Topics,
    *,
    streams_group: str,
    injector_group: str,
    exactly_once: bool = True,
) -> dict[str, list[Acl]]:
    """Every ACL each service (``SERVICES``) needs for ``topics`` and its groups.

    ``streams_group`` is ``{prefix}streams`` (granted as a prefix: the worker's
    restore consumer is ``{prefix}streams.restore``, its transactional ids
    ``{prefix}streams.<member>.<loop>``); ``injector_group`` is the injector's
    group (``injector.group_id``, default ``{prefix}injector``). The console joins no
    group (it assigns partitions and commits nothing), so it needs topic rules only; it
    writes only when its replay token is set, back to the topics dead letters came from.
    """
    sources = sorted(set(topics.sources.values()))
    internal = list(topics.internal().values())
    inputs = [topics.tool_calls, topics.tool_results, topics.call_events, topics.supervisor]
    streams = [
        *_topics(inputs, "READ", "its inputs"),
        *_topics(sources, "READ", "its inputs"),
        *_topics(internal, "READ", "its own topics; changelogs restored on start"),
        *_topics([topics.undelivered], "READ", "the injector's call_ended/expired reports"),
        *_topics([topics.injections, topics.followups, topics.dlq], "WRITE", "its outputs"),
        *_topics([topics.tool_results], "WRITE", "the tool runner's results"),
        *_topics(internal, "WRITE", "its own topics"),
        Acl("group", streams_group, "prefixed", "READ", "its group; its restore consumer"),
    ]
    if exactly_once:
        streams.append(
            Acl("transactional-id", streams_group, "prefixed", "WRITE", "exactly_once only")
        )
    return {
        "ingress": [
            *_topics([topics.tool_calls], "WRITE", "POST /tools/{tool_name}"),
            *_topics([topics.call_events], "WRITE", "POST /webhooks/telnyx"),
            *_topics([topics.supervisor], "WRITE", "POST /calls/{id}/messages"),
            *_topics(sources, "WRITE", "POST /events/{source}"),
        ],
        "streams": streams,
        "console": [
            *_topics(inputs, "READ", "what it shows"),
            *_topics(sources, "READ", "what it shows"),
            *_topics([topics.injections, topics.deliveries, topics.dlq], "READ", "what it shows"),
            *_topics(inputs, "WRITE", "its replay button only (a replay token is set)"),
            *_topics(sources, "WRITE", "its replay button only (a replay token is set)"),
            *_topics(
                [topics.injections], "WRITE", "its replay button only (a replay token is set)"
            ),
        ],
        "injector": [
            *_topics([topics.injections], "READ", "its input"),
            *_topics([topics.deliveries], "READ", "re-reads recent deliveries on start"),
            *_topics([topics.followups], "READ", "the follow-ups it texts (SMS)"),
            *_topics([topics.deliveries, topics.dlq], "WRITE", "its outputs"),
            *_topics([topics.undelivered], "WRITE", "call_ended/expired reports for follow-ups"),
            Acl("group", injector_group, "literal", "READ", "its group"),
            Acl("group", f"{injector_group}-sms", "literal", "READ", "its SMS consumer's group"),
            Acl("group", INJECTOR_LEDGER_GROUPS, "prefixed", "READ", "one throw-away per start"),
        ],
    }


def documented_acls() -> dict[str, list[Acl]]:
    """The ACLs as the README lists them: default prefix and groups, one source standing in
    for each configured source topic."""
    topics = Topics(prefix="callstream.", sources={"source": "<each source topic>"})
    return service_acls(
        topics, streams_group="callstream.streams", injector_group="callstream.injector"
    )


def acl_table(acls: Mapping[str, list[Acl]]) -> str:
    """A Markdown table of ``acls``, one row per rule, service by service."""
    rows = [
        "| Service | Resource | Name | Pattern | Operation | Why |",
        "|---|---|---|---|---|---|",
    ]
    rows.extend(
        f"| {service} | {rule.resource} | `{rule.name}` | {rule.pattern} "
        f"| {rule.operation} | {rule.note} |"
        for service, rules in acls.items()
        for rule in rules
    )
    return "\n".join(rows) + "\n"
