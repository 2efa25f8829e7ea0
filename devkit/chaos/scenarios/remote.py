"""Faults at the remote (the emulator plays it): errors, rate limits, hangs, and hangups.

The first three are fault functions for ``steady_fault``; each sets the
emulator's fault rules for a window and checks afterwards what the injector
did about them. ``hangups`` is a scenario of its own: bursts of items, and
every call hung up while its items are still on their way.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict

from devkit.chaos.followups import FollowupTally, judge_followups
from devkit.chaos.judge import Attempt
from devkit.chaos.observe import Observation
from devkit.chaos.scenarios.base import (
    After,
    Check,
    Fault,
    FaultReport,
    Progress,
    Result,
    Session,
)
from devkit.chaos.scenarios.processes import RESTART_AFTER_S
from devkit.chaos.senders import LoadPlan
from devkit.dev.pipeline import LocalPipeline
from devkit.emulator import FaultRule, Faults

TIMEOUTS = "callstream_injector_attempts_total"  # by result; "timeout" ones here


def _window(session: Session, faults: Faults, window_s: float) -> tuple[float, list[int]]:
    """Set ``faults`` for ``window_s`` (the load meets them); clear them; when, and hits."""
    session.control.set_faults(faults)
    time.sleep(window_s)  # the remote misbehaves this long
    hits = session.control.fault_hits()
    session.control.clear_faults()
    return time.time(), hits


def _given_up(session: Session, *, exhausted_allowed: bool) -> tuple[list[str], int]:
    """What the injector gave up (beyond what is allowed), and how many exhausted retries.

    With ``exhausted_allowed`` an injection dead-lettered ``failed`` after its
    ``retry.max_attempts`` attempts is allowed; anything else not delivered is not.
    """
    observation = session.observe()
    limit = session.pipeline.config.injector.retry.max_attempts

    def allowed(outcome: str, attempts: int) -> bool:
        return exhausted_allowed and outcome == "failed" and attempts >= limit

    given_up = [
        f"{o.outcome} after {o.attempts}"
        for o in observation.outcomes
        if o.outcome != "delivered" and not allowed(o.outcome, o.attempts)
    ]
    reasons = {letter.reason for letter in observation.letters}
    letters = sorted(reasons - {"failed"} if exhausted_allowed else reasons)
    exhausted = sum(1 for o in observation.outcomes if allowed(o.outcome, o.attempts))
    return given_up + letters, exhausted


def _only_exhausted_retries(session: Session, report: FaultReport) -> None:
    """Items ride the fault out; one may be dead-lettered only once its retries ran out.

    The injector gives an injection up as ``failed`` (dead-lettered, replayable)
    after ``retry.max_attempts`` attempts: a long enough run of refusals does
    that by design, and the promise (delivered once, or dead-lettered with a
    reason) still holds. Giving up sooner, or for any other reason, fails.
    """
    limit = session.pipeline.config.injector.retry.max_attempts
    early, exhausted = _given_up(session, exhausted_allowed=True)
    report.details["failed_after_max_attempts"] = exhausted
    report.checks.append(
        Check(
            f"nothing given up before its {limit} attempts ran out",
            not early,
            ", ".join(early) or f"{exhausted} gave up after {limit} attempts",
        )
    )


def remote_errors(window_s: float = 20.0) -> tuple[Fault, After]:
    """Every request fails for ``window_s``: 503, and a quarter 500 *after* being applied."""

    def fault(session: Session) -> FaultReport:
        faults = Faults(
            rules=(
                # Applied, then the reply is lost: the retry must be absorbed, not applied twice.
                FaultRule(status=500, rate=0.25, apply_first=True, window_s=window_s),
                FaultRule(status=503, window_s=window_s),
            )
        )
        end, hits = _window(session, faults, window_s)
        return FaultReport(
            description=(
                f"remote answered 5xx to every request for {window_s:g} s "
                "(a quarter applied first, the reply lost)"
            ),
            end=end,
            checks=[Check("the remote failed requests in the window", sum(hits) > 0, f"{hits}")],
            details={"fault_hits": hits},
        )

    return fault, _only_exhausted_retries


def rate_limited(window_s: float = 15.0, retry_after_s: int = 2) -> tuple[Fault, After]:
    """Half the requests are answered 429 with ``Retry-After`` for ``window_s``."""

    def fault(session: Session) -> FaultReport:
        rule = FaultRule(status=429, rate=0.5, retry_after=str(retry_after_s), window_s=window_s)
        end, hits = _window(session, Faults(rules=(rule,)), window_s)
        return FaultReport(
            description=(
                f"remote answered half the requests 429 + Retry-After: {retry_after_s} "
                f"for {window_s:g} s"
            ),
            end=end,
            checks=[Check("the remote rate-limited requests", sum(hits) > 0, f"{hits}")],
            details={"fault_hits": hits, "retry_after_s": retry_after_s},
        )

    def after(session: Session, report: FaultReport) -> None:
        gaps = gaps_after(session.observe().attempts, 429)
        shortest = min(gaps, default=None)
        report.details["shortest_wait_after_429_s"] = shortest
        waited = "none" if shortest is None else f"{shortest:.2f} s"
        report.checks.append(
            Check(
                f"every retry after a 429 waited at least Retry-After ({retry_after_s} s)",
                shortest is not None and shortest >= retry_after_s - 0.05,
                f"{len(gaps)} retries, shortest wait {waited}",
            )
        )
        _nothing_given_up(session, report)

    return fault, after


def _nothing_given_up(session: Session, report: FaultReport) -> None:
    """A 429 is "not now": within ``retry.max_age_s`` every item must be delivered."""
    given_up, _ = _given_up(session, exhausted_allowed=False)
    report.checks.append(
        Check(
            "nothing given up: a rate limit shorter than retry.max_age_s only delays",
            not given_up,
            ", ".join(given_up) or "all delivered",
        )
    )


def gaps_after(attempts: list[Attempt], status: int) -> list[float]:
    """Seconds between each ``status`` answer and the next attempt of the same command."""
    by_command: dict[tuple[str, str], list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        if attempt.command_id is not None:
            by_command[(attempt.call_control_id, attempt.command_id)].append(attempt)
    gaps = []
    for tries in by_command.values():
        tries.sort(key=lambda a: a.at)
        gaps += [b.at - a.at for a, b in itertools.pairwise(tries) if a.status == status]
    return gaps


def remote_hangs(window_s: float = 15.0, hang_s: float = 8.0) -> tuple[Fault, After]:
    """A third of the requests hang ``hang_s`` (past the injector's timeout) for ``window_s``."""

    def fault(session: Session) -> FaultReport:
        stack = session.pipeline.stack
        timeouts_before = stack.metric("injector", TIMEOUTS, result="timeout")
        rule = FaultRule(hang_s=hang_s, rate=0.3, window_s=window_s)
        end, hits = _window(session, Faults(rules=(rule,)), window_s)
        timeouts = stack.metric("injector", TIMEOUTS, result="timeout") - timeouts_before
        return FaultReport(
            description=(
                f"remote held a third of the requests {hang_s:g} s (past the timeout) "
                f"for {window_s:g} s"
            ),
            end=end,
            checks=[
                Check(
                    "the injector timed out on hung requests and retried",
                    timeouts > 0,
                    f"{timeouts:.0f} timeouts",
                )
            ],
            details={"fault_hits": hits, "injector_timeouts": timeouts},
        )

    return fault, _only_exhausted_retries


BURST = ("supervisor", "supervisor", "tool", "crm", "supervisor", "fraud", "supervisor")


def hangups(
    pipeline: LocalPipeline, plan: LoadPlan, progress: Progress, *, latency_ms: float = 500.0
) -> Result:
    """Each call gets a burst of items, then hangs up while they are on their way."""
    with Session(pipeline, plan) as session:
        progress(f"hangups: {len(session.calls)} calls, a burst of {len(BURST)} items each")
        session.control.set_faults(Faults(latency_ms=latency_ms))
        # Each call hangs up the moment its own burst is accepted, whatever the machine's load.
        session.driver.burst(dict.fromkeys(session.calls, BURST), then=session.control.hang_up)
        progress("hangups: every call hung up; the injector SIGKILLed with results in flight")
        session.pipeline.stack.kill("injector")
        time.sleep(RESTART_AFTER_S)  # the injector is down this long
        session.pipeline.stack.restart("injector")
        progress("hangups: injector restarted; waiting for every item to be accounted for")
        observation = session.settle()
        tally, observation = _await_followups(session, observation)
        ended = [o for o in observation.outcomes if o.outcome == "call_ended"]
        verdict = session.verdict(observation, None)
        report = FaultReport(
            description=(
                f"each call hung up right after its burst ({latency_ms:g} ms remote latency), "
                "results in flight"
            ),
            end=None,
            checks=[
                Check(
                    "some items met the hangup (the scenario tested something)",
                    bool(verdict.dead_lettered),
                    f"{verdict.dead_lettered}",
                ),
                Check(
                    # A second only where the SIGKILL took the first one's outcome with it.
                    "at most two requests per call after its hangup (one, and one repeat "
                    "after the injector's SIGKILL)",
                    verdict.most_attempts_after_hangup <= 2,
                    f"{verdict.attempts_after_hangup} in all, "
                    f"at most {verdict.most_attempts_after_hangup} for one call",
                ),
                Check(
                    "each call_ended outcome took at most one attempt",
                    all(o.attempts <= 1 for o in ended),
                    f"{len(ended)} call_ended outcomes",
                ),
                Check(
                    "every call_ended result of a followed-up source has exactly one follow-up",
                    bool(tally.due) and not tally.lost and not tally.duplicated,
                    f"{len(tally.due)} due, lost {len(tally.lost)}, "
                    f"duplicated {len(tally.duplicated)}",
                ),
            ],
            details={
                "followups_due": len(tally.due),
                "followups_lost": sorted(tally.lost)[:10],
                "followups_duplicated": sorted(tally.duplicated)[:10],
            },
        )
        load = f"{len(session.calls)} calls x {len(BURST)} items, then hangup, injector SIGKILL"
        return session.result("calls hung up with results in flight", report, observation, load)


FOLLOWUP_WAIT_S = 60.0
"""Longest wait for the follow-ups after the items settled (their window is 10 s)."""


def _await_followups(
    session: Session, observation: Observation
) -> tuple[FollowupTally, Observation]:
    """Observe until every item due a follow-up has one (or the wait runs out)."""
    deadline = time.monotonic() + FOLLOWUP_WAIT_S
    requests = session.target.topics.tool_calls
    channel_of = {a.item.token: a.item.channel for a in session.ledger.accepted_items}
    while True:
        ended = observation.ended_results(requests)
        tally = judge_followups(ended, observation.followups, channel_of)
        if not tally.lost or time.monotonic() >= deadline:
            return tally, observation
        time.sleep(1.0)  # polling the followups topic for a condition
        observation = session.observe()
