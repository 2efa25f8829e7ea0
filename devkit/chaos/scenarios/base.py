"""What every scenario shares: a session of calls under load, the fault's report, the result.

A ``Session`` starts fresh calls at the remote, tails the injections,
deliveries and DLQ topics from now, and runs the senders. ``steady_fault``
is the common shape: steady load, wait until it flows, let it run a while
(the fault hits *mid-load*), call the fault, keep the load on while the
pipeline recovers, stop it, wait until every accepted item reached its call
or was accounted for, and judge.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from devkit.chaos.judge import Verdict, judge
from devkit.chaos.ledger import Ledger, new_run_id
from devkit.chaos.load import LoadDriver, start_calls
from devkit.chaos.observe import Observation, TopicTail, observe
from devkit.chaos.senders import LoadPlan
from devkit.dev.pipeline import LocalPipeline
from devkit.emulator import EmulatorControl

Progress = Callable[[str], None]
SETTLE_TIMEOUT_S = 240.0


@dataclass(frozen=True)
class Check:
    """One thing a scenario requires beyond the judge's rules."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class FaultReport:
    """What the fault did: when it ended (None: no recovery to time), and what it checked."""

    description: str
    end: float | None
    checks: list[Check] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


Fault = Callable[["Session"], FaultReport]
"""Breaks something while the load runs, brings it back, and reports."""

After = Callable[["Session", FaultReport], None]
"""Runs once every accepted item is in, before the judge: late checks, clean-up."""


@dataclass(frozen=True)
class Result:
    """One row of the report."""

    name: str
    load: str
    fault: str
    verdict: Verdict
    checks: tuple[Check, ...]
    answers: Mapping[str, int]
    abandoned: int
    duration_s: float
    details: Mapping[str, Any]
    recovery_timed: bool = True
    """False for a scenario without a fault to recover from (its recovery reads n/a)."""

    @property
    def passed(self) -> bool:
        recovered = self.verdict.recovery_s is not None or not self.recovery_timed
        return self.verdict.ok and recovered and all(check.ok for check in self.checks)


@dataclass(frozen=True)
class Timing:
    """How long the load runs around the fault (load shape, not synchronisation)."""

    before_s: float = 5.0
    after_s: float = 10.0


class Session:
    """One scenario's fresh calls, ledger, senders and topic tail."""

    def __init__(
        self, pipeline: LocalPipeline, plan: LoadPlan, *, calls: int | None = None
    ) -> None:
        self.pipeline = pipeline
        self.plan = plan
        self.run = new_run_id()
        self.ledger = Ledger()
        self.target = pipeline.target
        self.control = EmulatorControl(self.target.emulator_url)
        self._calls_wanted = plan.calls if calls is None else calls
        self.calls: list[str] = []
        self.tail: TopicTail | None = None
        self.driver = LoadDriver(self.target, self.ledger, run=self.run, plan=plan)
        self.started = time.monotonic()

    def __enter__(self) -> Self:
        topics = self.target.topics
        self.tail = TopicTail(
            self.target.conn, [topics.injections, topics.deliveries, topics.dlq, topics.followups]
        )
        self.calls = start_calls(self.control, self.run, self._calls_wanted)
        self.driver.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.driver.__exit__(exc_type, exc, tb)
            self.control.clear_faults()
        finally:
            if self.tail is not None:
                self.tail.close()
            self.control.close()

    def observe(self) -> Observation:
        assert self.tail is not None
        return observe(self.control, self.calls, self.tail, self.target.topics)

    def wait_flowing(self, timeout_s: float = 120.0) -> None:
        """Return once every call has had an item delivered (the pipeline flows end to end)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            reached = {a.call_control_id for a in self.observe().applied}
            if reached >= set(self.calls):
                return
            time.sleep(0.5)  # polling the remote's transcripts for a condition
        raise TimeoutError(f"the load did not reach every call within {timeout_s:.0f} s")

    def settle(self, timeout_s: float = SETTLE_TIMEOUT_S) -> Observation:
        """Observe until every accepted item is applied or accounted for (or time runs out)."""
        deadline = time.monotonic() + timeout_s
        while True:
            observation = self.observe()
            done = {a.token for a in observation.applied} | set(observation.terminal)
            waiting = [a for a in self.ledger.accepted_items if a.item.token not in done]
            if not waiting or time.monotonic() >= deadline:
                return observation
            time.sleep(1.0)  # polling transcripts and topics for a condition

    def verdict(self, observation: Observation, fault_end: float | None) -> Verdict:
        return judge(
            self.ledger.accepted_items,
            sent=self.ledger.sent_tokens,
            applied=observation.applied,
            attempts=observation.attempts,
            terminal=observation.terminal,
            ended_at=observation.ended_at,
            fault_end=fault_end,
        )

    def result(
        self, name: str, report: FaultReport, observation: Observation, load: str | None = None
    ) -> Result:
        """The row for this session, with the checks every scenario makes."""
        abandoned = len(self.ledger.abandoned_items)
        dead = [running.service.name for running in self.pipeline.exited()]
        checks = [
            *report.checks,
            Check("every item was accepted in the end", abandoned == 0, f"{abandoned} given up"),
            Check("no service exited on its own", not dead, ", ".join(dead)),
        ]
        return Result(
            name=name,
            load=load or self.plan.describe(),
            fault=report.description,
            verdict=self.verdict(observation, report.end),
            checks=tuple(checks),
            answers=dict(self.ledger.answers),
            abandoned=abandoned,
            duration_s=time.monotonic() - self.started,
            details=report.details,
            recovery_timed=report.end is not None,
        )


def steady_fault(
    pipeline: LocalPipeline,
    name: str,
    fault: Fault,
    *,
    plan: LoadPlan,
    timing: Timing,
    progress: Progress,
    after: After | None = None,
) -> Result:
    """Steady load; the fault mid-load; load on while it recovers; then judge."""
    with Session(pipeline, plan) as session:
        progress(f"{name}: {len(session.calls)} calls started, load running")
        session.driver.start(session.calls)
        session.wait_flowing()
        time.sleep(timing.before_s)  # the fault must land mid-load: the load runs meanwhile
        progress(f"{name}: fault")
        report = fault(session)
        time.sleep(timing.after_s)  # load goes on while the pipeline recovers
        session.driver.stop()
        progress(f"{name}: load stopped; waiting for every accepted item")
        observation = session.settle()
        if after is not None:
            after(session, report)
        return session.result(name, report, observation)


def answers_matching(answers: Mapping[str, int], prefixes: Sequence[str]) -> int:
    """How many answers start with any of ``prefixes``."""
    return sum(n for label, n in answers.items() if label.startswith(tuple(prefixes)))
