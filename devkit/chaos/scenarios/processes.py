"""Faults in the pipeline's own processes: the broker, a streams worker, the injector.

Each is a fault function for ``steady_fault``: it breaks something while the
load runs, brings it back the way an operator (or a supervisor) would, and
says when the fault ended and what it checked on the way.
"""

from __future__ import annotations

import time

from devkit.chaos.broker import OwnedBroker
from devkit.chaos.scenarios.base import (
    Check,
    Fault,
    FaultReport,
    Session,
    answers_matching,
)
from devkit.dev.pipeline import LocalPipeline
from devkit.emulator import FaultRule, Faults

RESTART_AFTER_S = 2.0
"""How long a killed service stays down before it is started again."""
HELD_TIMEOUT_S = 10.0
"""How long a kill with replies in flight waits for the remote to hold a first reply."""


def broker_outage(broker: OwnedBroker, outage_s: float = 10.0) -> Fault:
    """SIGKILL the broker, keep it down ``outage_s``, start it again on the same port."""

    def fault(session: Session) -> FaultReport:
        stack = session.pipeline.stack
        before = dict(session.ledger.answers)
        broker.kill()
        killed = time.time()
        time.sleep(outage_s)  # the outage itself: the load meets it meanwhile
        during = session.ledger.answers
        broker.start()
        back = time.time()
        stack.wait_all_ready()
        ready = time.time()
        unavailable = answers_matching(during, ["503"]) - answers_matching(before, ["503"])
        bare = answers_matching(during, ["503 without", "500", "502", "504"])
        return FaultReport(
            description=(
                f"broker SIGKILLed, down {outage_s:g} s, restarted "
                f"(answering again {back - killed:.0f} s after the kill)"
            ),
            end=back,
            checks=[
                Check(
                    "the ingress answered 503 with Retry-After during the outage",
                    unavailable > 0,
                    f"{unavailable} such answers",
                ),
                Check("no 5xx without Retry-After", bare == 0, f"{bare} seen"),
                Check(
                    "every service ready again without a restart",
                    not stack.exited(),
                    f"all ready {ready - back:.1f} s after the broker was back",
                ),
            ],
            details={"broker_back_after_s": back - killed, "services_ready_after_s": ready - back},
        )

    return fault


def kill_and_restart(name: str, *, in_flight_s: float = 0.0, from_kill: bool = False) -> Fault:
    """SIGKILL service ``name`` mid-load; start it again ``RESTART_AFTER_S`` later.

    With ``from_kill``, the row's recovery is counted from the kill rather than
    from the restart: how long the calls went without injections.

    With ``in_flight_s``, the remote first applies half the requests and then
    holds their replies that long, so the kill lands on commands the remote has
    applied but the killed process never heard back about: its successor must
    send them again (same ``command_id``), and the remote must absorb them.
    """

    def fault(session: Session) -> FaultReport:
        stack = session.pipeline.stack
        held = 0
        if in_flight_s:
            rule = FaultRule(hang_s=in_flight_s, rate=0.5, apply_first=True)
            session.control.set_faults(Faults(rules=(rule,)))
            held = _held_replies(session, timeout_s=HELD_TIMEOUT_S)
        stack.kill(name)
        killed = time.time()
        session.control.clear_faults()
        time.sleep(RESTART_AFTER_S)  # the service is down this long
        restarted = time.time()
        stack.restart(name)
        ready = time.time()
        checks = [Check(f"{name} ready again after the restart", True)]
        description = f"{name} SIGKILLed, restarted {RESTART_AFTER_S:g} s later"
        if in_flight_s:
            description = (
                f"{name} SIGKILLed while the remote held applied commands' replies, "
                f"restarted {RESTART_AFTER_S:g} s later"
            )
            checks.append(
                Check("commands were applied and in flight at the kill", held > 0, f"{held}")
            )
        if from_kill:
            description += "; recovery counted from the kill"
        return FaultReport(
            description=description,
            end=killed if from_kill else restarted,
            checks=checks,
            details={"ready_after_restart_s": ready - restarted, "held_at_kill": held},
        )

    return fault


def terminate_and_restart(name: str) -> Fault:
    """SIGTERM service ``name`` mid-load (a deploy); start it again once it has exited."""

    def fault(session: Session) -> FaultReport:
        stack = session.pipeline.stack
        started = time.time()
        code = stack.terminate(name)
        stopped = time.time()
        stack.restart(name)
        ready = time.time()
        return FaultReport(
            description=f"{name} stopped with SIGTERM, then restarted",
            end=stopped,
            checks=[Check(f"{name} exited 0 after SIGTERM", code == 0, f"exit status {code}")],
            details={"stop_took_s": stopped - started, "ready_after_restart_s": ready - stopped},
        )

    return fault


def second_streams_worker(pipeline: LocalPipeline, name: str = "streams-2") -> Fault:
    """A second streams worker joins the group mid-load (a rebalance moves partitions to it)."""

    def fault(session: Session) -> FaultReport:
        joined = time.time()
        pipeline.add_streams_worker(name)
        ready = time.time()
        return FaultReport(
            description="a second streams worker joined (rebalance)",
            end=joined,
            checks=[],
            details={"ready_after_join_s": ready - joined},
        )

    return fault


def one_of_two_workers_killed(pipeline: LocalPipeline, name: str = "streams-2") -> Fault:
    """A second streams worker joins; once it decides records of its own it is SIGKILLed for
    good.

    Its calls go quiet until the group gives it up (``streams.session_timeout_s``)
    and the surviving worker restores its partitions from the changelogs; the
    row's recovery, counted from the kill, is that failover.
    """

    def fault(session: Session) -> FaultReport:
        stack = pipeline.stack
        pipeline.add_streams_worker(name)
        deadline = time.monotonic() + 30.0
        while (records := stack.metric(name, "callstream_streams_records_in_total")) == 0:
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)  # polling the worker's metrics for a condition
        stack.kill(name)
        killed = time.time()
        stack.forget(name)
        return FaultReport(
            description=(
                "a second streams worker joined, then was SIGKILLed and not restarted; "
                "recovery counted from the kill"
            ),
            end=killed,
            checks=[
                Check(
                    "the killed worker had decided records of its own",
                    records > 0,
                    f"{records:.0f} records in",
                )
            ],
            details={},
        )

    return fault


def second_worker_leaves(session: Session, report: FaultReport, name: str = "streams-2") -> None:
    """After the load: the second worker took part, then leaves cleanly (exit 0)."""
    stack = session.pipeline.stack
    records = stack.metric(name, "callstream_streams_records_in_total")
    report.checks.append(
        Check(
            "the second worker processed records after the rebalance",
            records > 0,
            f"{records:.0f} records in",
        )
    )
    code = stack.terminate(name)
    stack.forget(name)
    report.checks.append(Check("the second worker left with exit 0", code == 0, f"exit {code}"))


def _held_replies(session: Session, *, timeout_s: float) -> int:
    """Wait until the remote holds at least one applied command's reply; how many it holds.

    The kill must land while a reply is held: a fixed wait could end before
    any request had met the fault (the load is a few items a second), so this
    waits for the first one, polling well inside the hold.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        held = sum(session.control.fault_hits())
        if held or time.monotonic() >= deadline:
            return held
        time.sleep(0.05)  # polling the remote's fault counter for a condition
