"""The judge: what the senders were told, against what the calls received.

A pure function over plain values, so every rule is unit-tested row by row:

* **lost**: an accepted item that never reached its call and was not
  dead-lettered (or given a terminal outcome such as ``call_ended``) either.
  The promise is "exactly once in effect, or dead-lettered with a reason".
* **duplicated effects**: each extra time one item was applied to a call,
  whatever command ids carried it (so a repeat that slipped past ``command_id``
  under a new id counts too).
* **out of order**: within one call and one ordered channel, an item applied
  before an item its sender had been told was accepted earlier.
* **applied after hangup**: a command the remote applied after the call ended.
* **absorbed**: raw requests the remote ignored as repeats of a ``command_id``:
  the repeats the pipeline made and the remote's dedupe caught (not a fault).
* **recovery**: from the end of the fault until the backlog accepted up to
  then had reached its calls and newly accepted items were reaching them again.
* **longest gap**: the longest pause between two deliveries to any call
  (``longest_gap``; the broker-loss rows report it).

It never performs I/O; ``observe`` gathers its inputs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from itertools import pairwise

from devkit.chaos.ledger import Accepted
from devkit.stats import percentile


@dataclass(frozen=True)
class Applied:
    """One command the remote applied to a call, and the item token it carried (if any)."""

    call_control_id: str
    token: str | None
    command_id: str | None
    arrived_at: float
    position: int
    """Its index in the call's transcript (ties in ``arrived_at`` keep the remote's order)."""


@dataclass(frozen=True)
class Attempt:
    """One raw request that reached a call at the remote, whatever became of it."""

    call_control_id: str
    command_id: str | None
    at: float
    status: int
    note: str
    """The remote's verdict when not applied: ``duplicate``, ``call_ended``, ``fault``."""


@dataclass(frozen=True)
class Verdict:
    """The figures of one scenario, and whether the promise held."""

    accepted: int
    delivered: int
    lost: tuple[str, ...]
    duplicated_effects: int
    duplicated: tuple[str, ...]
    dead_lettered: Mapping[str, int]
    """Accepted items accounted for without reaching the call, by reason."""
    unacknowledged: int
    """Items applied although their sender was never told they were accepted (allowed:
    a 503 in the residual window, or an answer the sender stopped waiting for)."""
    foreign: int
    """Commands applied that no sender of this scenario sent."""
    out_of_order: int
    applied_after_hangup: int
    attempts_after_hangup: int
    """Raw requests that reached a call after it ended (each answered ``call_ended``)."""
    most_attempts_after_hangup: int
    """The most such requests for any one call."""
    absorbed: int
    recovery_s: float | None
    latency_p50_s: float | None
    latency_p99_s: float | None
    problems: tuple[str, ...] = field(default=())

    @property
    def lost_count(self) -> int:
        return len(self.lost)

    @property
    def ok(self) -> bool:
        """Nothing lost, nothing doubled, order kept, nothing after a hangup, nothing foreign."""
        return not self.problems


def _out_of_order(accepted: Sequence[Accepted], first: Mapping[str, Applied]) -> int:
    """Items applied after a later-accepted item of the same call and ordered channel."""
    lanes: dict[tuple[str, str], list[tuple[float, int, int]]] = defaultdict(list)
    for entry in accepted:
        item = entry.item
        applied = first.get(item.token)
        if item.ordered and applied is not None:
            lanes[(item.call_control_id, item.channel)].append(
                (applied.arrived_at, applied.position, item.seq)
            )
    inversions = 0
    for arrivals in lanes.values():
        highest = -1
        for _, _, seq in sorted(arrivals):
            if seq < highest:
                inversions += 1
            highest = max(highest, seq)
    return inversions


def recovery_time(
    accepted: Sequence[Accepted], first: Mapping[str, Applied], fault_end: float
) -> float | None:
    """Seconds from ``fault_end`` until the backlog was in and new items were arriving.

    None when no item accepted after the fault ever arrived: the pipeline did not
    recover while it was watched.
    """
    backlog = [
        first[a.item.token].arrived_at
        for a in accepted
        if a.at <= fault_end and a.item.token in first
    ]
    fresh = [
        first[a.item.token].arrived_at
        for a in accepted
        if a.at > fault_end and a.item.token in first
    ]
    if not fresh:
        return None
    back = max([fault_end, *backlog])
    return max(0.0, max(back, min(fresh)) - fault_end)


def judge(
    accepted: Sequence[Accepted],
    *,
    sent: AbstractSet[str],
    applied: Sequence[Applied],
    attempts: Sequence[Attempt] = (),
    terminal: Mapping[str, str] | None = None,
    ended_at: Mapping[str, float] | None = None,
    fault_end: float | None = None,
) -> Verdict:
    """The verdict on one scenario.

    ``terminal`` maps a token to why it did not reach its call (a dead letter's
    reason, or the injector's outcome such as ``call_ended``); ``ended_at`` maps
    a call to when the remote saw it end.
    """
    terminal = terminal or {}
    ended_at = ended_at or {}
    counts = Counter(entry.token for entry in applied if entry.token is not None)
    first: dict[str, Applied] = {}
    for command in sorted(applied, key=lambda a: (a.arrived_at, a.position)):
        if command.token is not None:
            first.setdefault(command.token, command)
    accepted_tokens = {entry.item.token for entry in accepted}

    lost: list[str] = []
    dead: Counter[str] = Counter()
    for entry in accepted:
        token = entry.item.token
        if counts[token]:
            continue
        if token in terminal:
            dead[terminal[token]] += 1
        else:
            lost.append(token)
    duplicated = sorted(token for token, n in counts.items() if n > 1)
    extra = sum(n - 1 for n in counts.values() if n > 1)
    unacknowledged = sum(1 for t in counts if t not in accepted_tokens and t in sent)
    foreign = sum(1 for e in applied if e.token is None or e.token not in sent)
    after_hangup = sum(
        1
        for e in applied
        if e.call_control_id in ended_at and e.arrived_at > ended_at[e.call_control_id]
    )
    late_attempts = Counter(
        a.call_control_id
        for a in attempts
        if a.call_control_id in ended_at and a.at > ended_at[a.call_control_id]
    )
    latencies = [first[a.item.token].arrived_at - a.at for a in accepted if a.item.token in first]
    verdict = Verdict(
        accepted=len(accepted),
        delivered=sum(1 for token in accepted_tokens if counts[token]),
        lost=tuple(lost),
        duplicated_effects=extra,
        duplicated=tuple(duplicated),
        dead_lettered=dict(dead),
        unacknowledged=unacknowledged,
        foreign=foreign,
        out_of_order=_out_of_order(accepted, first),
        applied_after_hangup=after_hangup,
        attempts_after_hangup=sum(late_attempts.values()),
        most_attempts_after_hangup=max(late_attempts.values(), default=0),
        absorbed=sum(1 for a in attempts if a.note == "duplicate"),
        recovery_s=None if fault_end is None else recovery_time(accepted, first, fault_end),
        latency_p50_s=percentile(latencies, 0.50),
        latency_p99_s=percentile(latencies, 0.99),
    )
    return _with_problems(verdict)


def _with_problems(verdict: Verdict) -> Verdict:
    problems = []
    if verdict.lost:
        problems.append(f"{len(verdict.lost)} accepted item(s) lost, e.g. {verdict.lost[0]}")
    if verdict.duplicated_effects:
        problems.append(
            f"{verdict.duplicated_effects} duplicated effect(s), e.g. {verdict.duplicated[0]}"
        )
    if verdict.out_of_order:
        problems.append(f"{verdict.out_of_order} item(s) applied out of order")
    if verdict.applied_after_hangup:
        problems.append(f"{verdict.applied_after_hangup} command(s) applied after the hangup")
    if verdict.foreign:
        problems.append(f"{verdict.foreign} command(s) applied that no sender sent")
    return replace(verdict, problems=tuple(problems))


@dataclass(frozen=True)
class Gap:
    """The longest pause between two consecutive deliveries, and when it began."""

    seconds: float
    began_at: float


def longest_gap(applied: Sequence[Applied]) -> Gap | None:
    """The longest time in which no call had a command applied (None with fewer than two
    deliveries): under a steady load, how long the pipeline stalled."""
    times = sorted(entry.arrived_at for entry in applied)
    if len(times) < 2:
        return None
    seconds, began_at = max((later - earlier, earlier) for earlier, later in pairwise(times))
    return Gap(seconds, began_at)
