"""The load generator of one step, in a process of its own (its CPU is not the harness's).

Open loop: event n is due ``n / rate`` seconds after the start and is sent
then, whatever the pipeline is doing, so a slow pipeline cannot slow the
offered load down and hide its own queueing (no coordinated omission).
Latency is later measured from the due time; how late the generator itself
sent each event is reported beside it, so a generator starved of CPU is seen
for what it is.

Kafka kinds go through one confluent-kafka producer with callstream's
producer settings; HTTP kinds through keep-alive HTTP/1.1 connections to the
ingress (``bench.ingress.loadgen.Connection``: a pre-built request buffer,
a header block read back). Every event's outcome is recorded: the broker's
acknowledgement, or the ingress's status.

Run as ``python -m bench.pipeline.loadgen SPEC.json OUT.json`` (the harness
does); the spec is ``GeneratorSpec`` as JSON.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvloop
from confluent_kafka import KafkaError, Message, Producer

from bench.ingress.loadgen import Connection
from bench.pipeline.plan import HTTP_KINDS, Kind, PlannedEvent, plan_step
from bench.pipeline.wire import crm_event_body, floor_record, http_request, tool_result_record
from callstream.kafka import KafkaConnection, producer_config

LEAD_IN_S = 0.2
"""The first event is due this long after the generator is ready, so it is not late at once."""


@dataclass(frozen=True)
class GeneratorSpec:
    """Everything a generator process needs (JSON between the harness and the process)."""

    tag: str
    calls: list[str]
    rate: float
    duration_s: float
    mix: list[Kind]
    bootstrap: str
    tool_results_topic: str = ""
    crm_topic: str = ""
    floor_topic: str = ""
    ingress_url: str = ""
    token: str = ""
    connections: int = 32

    def events(self) -> list[PlannedEvent]:
        return plan_step(
            self.tag, self.calls, rate=self.rate, duration_s=self.duration_s, mix=self.mix
        )


@dataclass
class Outcomes:
    """Per event: when it was actually sent, and what became of the send."""

    sent: list[float]
    outcome: list[str]
    errors: Counter[str] = field(default_factory=Counter)

    def record(self, seq: int, outcome: str) -> None:
        self.outcome[seq] = outcome
        if outcome != "ok":
            self.errors[outcome] += 1


class Generator:
    def __init__(self, spec: GeneratorSpec) -> None:
        self.spec = spec
        self.events = spec.events()
        self.outcomes = Outcomes([0.0] * len(self.events), ["unsent"] * len(self.events))
        self.producer = Producer(
            producer_config(KafkaConnection(bootstrap_servers=spec.bootstrap), "bench-loadgen")
        )
        self.start_epoch = 0.0
        self._start_perf = 0.0
        self._http: asyncio.Queue[tuple[PlannedEvent, bytes] | None] = asyncio.Queue()

    def _now_epoch(self) -> float:
        return self.start_epoch + (time.perf_counter() - self._start_perf)

    def _topic(self, kind: Kind) -> str:
        return {
            "tool_result": self.spec.tool_results_topic,
            "crm_event": self.spec.crm_topic,
            "floor": self.spec.floor_topic,
        }[kind]

    def _value(self, event: PlannedEvent, due: float) -> bytes:
        if event.kind == "tool_result":
            return tool_result_record(event, due)
        if event.kind == "crm_event":
            return crm_event_body(event, due)
        return floor_record(event)

    def _produce(self, event: PlannedEvent, due: float) -> None:
        def delivered(err: KafkaError | None, _: Message) -> None:
            self.outcomes.record(event.seq, "ok" if err is None else f"kafka:{err.name()}")

        value = self._value(event, due)
        while True:
            try:
                self.producer.produce(
                    self._topic(event.kind), value, event.call.encode(), on_delivery=delivered
                )
            except BufferError:
                self.producer.poll(0.01)
            else:
                return

    async def _http_worker(self, host: str) -> None:
        connection: Connection | None = None
        while (item := await self._http.get()) is not None:
            event, request = item
            try:
                if connection is None:
                    connection = await Connection.open(self.spec.ingress_url)
                self.outcomes.sent[event.seq] = self._now_epoch()
                status = await connection.exchange(request)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                self.outcomes.record(event.seq, f"http:{type(exc).__name__}")
                if connection is not None:
                    connection.close()
                connection = None
                continue
            self.outcomes.record(event.seq, "ok" if 200 <= status < 300 else f"http:{status}")
        if connection is not None:
            connection.close()

    async def run(self) -> dict[str, Any]:
        host = urlsplit(self.spec.ingress_url).netloc
        uses_http = any(kind in HTTP_KINDS for kind in self.spec.mix)
        workers = [
            asyncio.create_task(self._http_worker(host))
            for _ in range(self.spec.connections if uses_http else 0)
        ]
        cpu_before = _cpu_s()
        self._start_perf = time.perf_counter() + LEAD_IN_S
        self.start_epoch = time.time() + LEAD_IN_S
        for event in self.events:
            delay = self._start_perf + event.offset_s - time.perf_counter()
            if delay > 0.0005:
                await asyncio.sleep(delay)
            due = self.start_epoch + event.offset_s
            if event.kind in HTTP_KINDS:
                request = http_request(event, due, self.spec.token).raw(host)
                self._http.put_nowait((event, request))
            else:
                self.outcomes.sent[event.seq] = self._now_epoch()
                self._produce(event, due)
            self.producer.poll(0)
        for _ in workers:
            self._http.put_nowait(None)
        await asyncio.gather(*workers)
        self.producer.flush(60)
        return {
            "start_epoch": self.start_epoch,
            "sent": self.outcomes.sent,
            "outcome": self.outcomes.outcome,
            "errors": dict(self.outcomes.errors),
            "cpu_s": round(_cpu_s() - cpu_before, 3),
        }


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def spec_to_json(spec: GeneratorSpec) -> str:
    return json.dumps(asdict(spec))


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        raise SystemExit("usage: python -m bench.pipeline.loadgen SPEC.json OUT.json")
    spec = GeneratorSpec(**json.loads(Path(args[0]).read_text()))
    result = uvloop.run(Generator(spec).run())
    Path(args[1]).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
