"""Faults that arrive as input: poison records on every topic, and a flood at the front door.

``poison`` writes hostile records to every topic a stage reads while the load
runs on the same partitions; each must be dead-lettered with a reason, and the
load must not notice. ``overload`` floods the ingress with far more concurrent
senders than it can answer; it must shed with 503 + ``Retry-After``, keep its
memory bounded, and serve the steady senders again once the flood is over.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from devkit.chaos.flood import FloodReport, FloodTarget, flood
from devkit.chaos.observe import Letter
from devkit.chaos.poison import Poison, poison_records
from devkit.chaos.scenarios.base import (
    Check,
    FaultReport,
    Progress,
    Result,
    Session,
    Timing,
)
from devkit.chaos.senders import LoadPlan
from devkit.dev.pipeline import LocalPipeline
from devkit.testing.kafka import produce

LETTERS_TIMEOUT_S = 120.0


def _produce_all(session: Session, records: list[Poison]) -> None:
    by_topic: dict[str, list[Poison]] = defaultdict(list)
    for record in records:
        by_topic[record.topic].append(record)
    for topic, poisons in by_topic.items():
        produce(session.target.conn, topic, [(p.key, p.value) for p in poisons])


def _letters_for(session: Session, tokens: set[str]) -> dict[str, Letter]:
    """Wait until each token has a dead letter (or time runs out); the letters found."""
    deadline = time.monotonic() + LETTERS_TIMEOUT_S
    while True:
        found = {
            letter.token: letter for letter in session.observe().letters if letter.token in tokens
        }
        if set(found) >= tokens or time.monotonic() >= deadline:
            return found
        time.sleep(1.0)  # polling the DLQ topic for a condition


def poison(pipeline: LocalPipeline, plan: LoadPlan, timing: Timing, progress: Progress) -> Result:
    """Poison on every input topic mid-load, keyed like a live call's records."""
    with Session(pipeline, plan) as session:
        progress(f"poison: {len(session.calls)} calls started, load running")
        session.driver.start(session.calls)
        session.wait_flowing()
        time.sleep(timing.before_s)  # mid-load
        records = poison_records(
            session.target.topics, run=session.run, key=session.calls[0].encode()
        )
        _produce_all(session, records)
        written = time.time()
        progress(f"poison: {len(records)} poison records written")
        time.sleep(timing.after_s)  # the load goes on over the poisoned partitions
        session.driver.stop()
        observation = session.settle()
        letters = _letters_for(session, {p.token for p in records})
        missing = [f"{p.kind} on {p.topic}" for p in records if p.token not in letters]
        misplaced = [
            f"{p.kind} on {p.topic}"
            for p in records
            if p.token in letters and letters[p.token].topic != p.topic
        ]
        reasons: dict[str, Counter[str]] = defaultdict(Counter)
        for record in records:
            if record.token in letters:
                letter = letters[record.token]
                reasons[record.kind][f"{letter.stage}/{letter.reason}"] += 1
        report = FaultReport(
            description=(
                f"{len(records)} poison records (not JSON, wrong schema, 900 KB) "
                f"on {len(records) // 3} input topics"
            ),
            end=written,
            checks=[
                Check(
                    "every poison record dead-lettered with a reason",
                    not missing,
                    "missing: " + ", ".join(missing) if missing else f"{len(records)} found",
                ),
                Check(
                    "each dead letter names the topic the record came from",
                    not misplaced,
                    ", ".join(misplaced),
                ),
            ],
            details={"dead_letter_reasons": {k: dict(v) for k, v in reasons.items()}},
        )
        return session.result("poison records on every input topic", report, observation)


@contextmanager
def _peak_rss(pipeline: LocalPipeline, name: str, samples: list[int]) -> Iterator[None]:
    """Sample ``name``'s resident memory every 0.1 s while the block runs."""
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.1):
            samples.append(pipeline.stack.rss_bytes(name))

    sampler = threading.Thread(target=sample, name="rss-sampler", daemon=True)
    sampler.start()
    try:
        yield
    finally:
        stop.set()
        sampler.join(5)


def overload(
    pipeline: LocalPipeline,
    plan: LoadPlan,
    timing: Timing,
    progress: Progress,
    *,
    connections: int = 2000,
    duration_s: float = 10.0,
    memory_bound_mb: float = 128.0,
) -> Result:
    """Steady senders, then a flood of ``connections`` senders for ``duration_s``."""
    with Session(pipeline, plan) as session:
        progress(f"overload: {len(session.calls)} calls started, steady load running")
        session.driver.start(session.calls)
        session.wait_flowing()
        time.sleep(timing.before_s)  # steady state before the flood
        baseline = pipeline.stack.rss_bytes("ingress")
        samples: list[int] = [baseline]
        target = FloodTarget(
            "127.0.0.1",
            pipeline.ports.ingress,
            session.target.token,
            session.calls,
            session.run,
        )
        progress(f"overload: {connections} connections flooding the ingress for {duration_s:g} s")
        with _peak_rss(pipeline, "ingress", samples):
            report_: FloodReport = flood(
                target, session.ledger, connections=connections, duration_s=duration_s
            )
        ended = time.time()
        time.sleep(timing.after_s)  # the steady senders go on after the flood
        session.driver.stop()
        observation = session.settle()
        growth_mb = (max(samples) - baseline) / 2**20
        shed = report_.answers["503 overloaded"]
        server_errors = sum(
            n for label, n in report_.answers.items() if label[:1] == "5" and label[:3] != "503"
        )
        offered = report_.sent / report_.elapsed_s if report_.elapsed_s else 0.0
        accepted = report_.answers["202"] / report_.elapsed_s if report_.elapsed_s else 0.0
        report = FaultReport(
            description=(
                f"flood: {connections} concurrent senders for {duration_s:g} s, "
                f"{offered:,.0f} req/s offered, {accepted:,.0f}/s accepted"
            ),
            end=ended,
            checks=[
                Check("the ingress shed load with 503 overloaded", shed > 0, f"{shed} shed"),
                Check(
                    "every 503 said when to retry",
                    report_.without_retry_after == 0,
                    f"{report_.without_retry_after} without Retry-After",
                ),
                Check("no other 5xx", server_errors == 0, f"{server_errors}"),
                Check(
                    f"ingress memory grew less than {memory_bound_mb:g} MB",
                    growth_mb < memory_bound_mb,
                    f"{baseline / 2**20:.0f} MB -> peak {max(samples) / 2**20:.0f} MB",
                ),
            ],
            details={
                "flood_answers": dict(report_.answers),
                "flood_sent": report_.sent,
                "ingress_rss_baseline_mb": round(baseline / 2**20, 1),
                "ingress_rss_peak_mb": round(max(samples) / 2**20, 1),
            },
        )
        load = f"{plan.describe()} + flood of {connections} connections"
        return session.result("ingress overload", report, observation, load)
