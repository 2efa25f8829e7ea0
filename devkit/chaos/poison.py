"""Poison records: what anyone with write access to a topic could put there.

Three kinds for every topic a callstream stage reads: bytes that are not JSON,
a JSON object of the wrong shape, and a huge one (900 KB: near Kafka's
default 1 MiB record limit, so the broker takes it). Each carries a token, so
its dead letter can be found again. Pure: building records does no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from callstream.topics import Topics
from devkit.chaos.ledger import make_token

HUGE_BYTES = 900_000
KINDS = ("not_json", "wrong_schema", "huge")


@dataclass(frozen=True)
class Poison:
    """One hostile record and the topic it goes to."""

    topic: str
    key: bytes
    value: bytes
    kind: str
    token: str


def input_topics(topics: Topics) -> list[str]:
    """Every topic a stage consumes, except the ticks topic (any record there is just a tick).

    Includes the streams worker's internal topics and the injector's input:
    whoever can write to Kafka can write there too.
    """
    return [
        topics.tool_calls,
        topics.tool_results,
        topics.call_events,
        topics.supervisor,
        *sorted(set(topics.sources.values())),
        topics.streams_by_call,
        topics.streams_by_key,
        topics.streams_tool_runs,
        topics.injections,
    ]


def _value(kind: str, token: str) -> bytes:
    if kind == "not_json":
        return b"\xff\xfe not json {" + token.encode() + b"\x00"
    if kind == "wrong_schema":
        return json.dumps({"chaos": token, "call_control_id": 42, "messages": "none"}).encode()
    padding = "x" * HUGE_BYTES
    return json.dumps({"chaos": token, "padding": padding}).encode()


def poison_records(topics: Topics, *, run: str, key: bytes) -> list[Poison]:
    """Every kind of poison for every input topic, keyed by ``key`` (a live call's id)."""
    records = []
    for n, topic in enumerate(input_topics(topics)):
        for k, kind in enumerate(KINDS):
            token = make_token(run, "p", n * len(KINDS) + k)
            records.append(Poison(topic, key, _value(kind, token), kind, token))
    return records
