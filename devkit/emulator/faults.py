"""Fault knobs of the emulator, as data: latency, error rates and bursts, hangs.

A ``Faults`` value is what a test or benchmark sets (over the control API, as
JSON). ``FaultPlan`` holds the current one with its counters and decides, per
request, what to do: how long to wait, and whether a rule answers instead of
the call (a status such as 503 or 429, optionally with ``Retry-After``), or
holds the request longer than any client waits. Randomness and the clock are
injected so every decision can be replayed in a unit test.

It never touches HTTP; the routes act on its decisions.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, PositiveInt, model_validator


class FaultRule(BaseModel):
    """Answer matching requests with ``status`` (or hang), at ``rate``, for a count or a window."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: int | None = Field(
        default=None, ge=400, le=599, description="answer with this status (e.g. 503, 429)"
    )
    hang_s: NonNegativeFloat | None = Field(
        default=None, description="hold the request this long before answering 504 (a timeout)"
    )
    rate: float = Field(default=1.0, ge=0.0, le=1.0, description="share of matching requests hit")
    count: PositiveInt | None = Field(
        default=None, description="hit only this many requests, then retire (a burst)"
    )
    window_s: NonNegativeFloat | None = Field(
        default=None, description="hit only within this many seconds after the rule was set"
    )
    retry_after: str | None = Field(
        default=None, description="Retry-After header value (seconds or an HTTP date)"
    )
    apply_first: bool = Field(
        default=False,
        description="apply the command, then fail the reply (the caller cannot know it landed)",
    )
    call_control_ids: frozenset[str] | None = Field(
        default=None, description="hit only these calls; null means every call"
    )

    @model_validator(mode="after")
    def _one_effect(self) -> Self:
        if (self.status is None) == (self.hang_s is None):
            raise ValueError("a fault rule sets exactly one of status or hang_s")
        return self


class Faults(BaseModel):
    """Everything a test can set: added latency and an ordered list of rules (first match wins)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    latency_ms: NonNegativeFloat = 0.0
    latency_jitter_ms: NonNegativeFloat = Field(
        default=0.0, description="extra latency drawn uniformly from [0, jitter]"
    )
    rules: tuple[FaultRule, ...] = ()


@dataclass(frozen=True)
class FaultDecision:
    """What to do with one request."""

    delay_s: float = 0.0
    status: int | None = None
    hang_s: float | None = None
    retry_after: str | None = None
    apply_first: bool = False

    @property
    def faulted(self) -> bool:
        return self.status is not None or self.hang_s is not None


class FaultPlan:
    """The faults in force, with the per-rule counters and set-time they need."""

    def __init__(
        self,
        faults: Faults | None = None,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rng = rng or random.Random()  # noqa: S311 - fault draws, not secrets
        self._clock = clock
        self.set(faults or Faults())

    @property
    def faults(self) -> Faults:
        return self._faults

    def set(self, faults: Faults) -> None:
        """Replace the faults in force; counters and windows start again now."""
        self._faults = faults
        self._set_at = self._clock()
        self._hits = [0] * len(faults.rules)

    def hits(self) -> list[int]:
        """How many requests each rule has answered since it was set."""
        return list(self._hits)

    def decide(self, call_control_id: str) -> FaultDecision:
        """The latency and the fault, if any, for the next request to ``call_control_id``."""
        faults = self._faults
        delay = faults.latency_ms / 1000.0
        if faults.latency_jitter_ms:
            delay += self._rng.uniform(0.0, faults.latency_jitter_ms) / 1000.0
        age = self._clock() - self._set_at
        for index, rule in enumerate(faults.rules):
            if rule.call_control_ids is not None and call_control_id not in rule.call_control_ids:
                continue
            if rule.count is not None and self._hits[index] >= rule.count:
                continue
            if rule.window_s is not None and age > rule.window_s:
                continue
            if rule.rate < 1.0 and self._rng.random() >= rule.rate:
                continue
            self._hits[index] += 1
            return FaultDecision(
                delay_s=delay,
                status=rule.status,
                hang_s=rule.hang_s,
                retry_after=rule.retry_after,
                apply_first=rule.apply_first,
            )
        return FaultDecision(delay_s=delay)
