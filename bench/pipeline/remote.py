"""The remote side, seen through the emulator: live calls, and what reached each of them.

Calls are started through the emulator's control API, which announces each
to the ingress with signed lifecycle webhooks, as the platform would; the
benchmark then waits until the streams workers hold them as live. Arrival
times are the emulator's own (``arrived_at`` in each call's transcript, the
moment it applied an Add Messages request), on this machine's clock, the
same clock the generator stamps due times with.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from devkit.emulator import EmulatorControl

THREADS = 8

T = TypeVar("T")
R = TypeVar("R")


def _each(
    emulator_url: str, items: Sequence[T], work: Callable[[EmulatorControl, T], R]
) -> list[R]:
    """``work`` on every item, from a few threads with one control client each; in order."""
    slices = [list(items[n::THREADS]) for n in range(THREADS)]

    def run(part: list[T]) -> list[R]:
        with EmulatorControl(emulator_url) as control:
            return [work(control, item) for item in part]

    with ThreadPoolExecutor(THREADS) as pool:
        done = list(pool.map(run, slices))
    return [done[index % THREADS][index // THREADS] for index in range(len(items))]


@dataclass(frozen=True)
class Arrival:
    at: float
    requests: int
    """How many raw requests carried this command id (retries and duplicates included)."""


def phone(n: int) -> str:
    """A distinct, valid North American number for caller ``n``."""
    return f"+1212{2_000_000 + n:07d}"


def start_calls(emulator_url: str, first: int, count: int) -> list[str]:
    """Start ``count`` live calls (callers ``first``, ``first + 1``, ...); their ids."""

    def start(control: EmulatorControl, n: int) -> str:
        return control.start_call(from_number=phone(n), to_number="+15559870000")

    return _each(emulator_url, range(first, first + count), start)


def applied(emulator_url: str) -> int:
    """How many Add Messages requests the emulator has applied so far."""
    with EmulatorControl(emulator_url) as control:
        return int(control.stats().get("applied", 0))


def wait_until(
    value: Callable[[], float], target: float, *, stall_s: float, max_s: float
) -> tuple[float, bool]:
    """Poll ``value`` until it reaches ``target``; give up after ``stall_s`` without progress
    or ``max_s`` in all. The last value seen, and whether the target was reached."""
    started = last_change = time.monotonic()
    seen = value()
    while seen < target:
        now = time.monotonic()
        if now - last_change > stall_s or now - started > max_s:
            return seen, False
        time.sleep(0.2)  # polling a counter for a condition, not synchronisation
        current = value()
        if current != seen:
            seen, last_change = current, time.monotonic()
    return seen, True


def arrivals(emulator_url: str, calls: Sequence[str]) -> dict[str, Arrival]:
    """Every command applied to ``calls``, by command id."""

    found: dict[str, Arrival] = {}
    for record in _each(emulator_url, calls, _transcript):
        for entry in record["injected"]:
            if entry["command_id"] is not None:
                found[entry["command_id"]] = Arrival(entry["arrived_at"], entry["requests"])
    return found


def arrival_times(emulator_url: str, calls: Sequence[str]) -> list[float]:
    """The arrival time of every message applied to ``calls``, with or without a command id."""

    return [
        float(entry["arrived_at"])
        for record in _each(emulator_url, calls, _transcript)
        for entry in record["injected"]
    ]


def _transcript(control: EmulatorControl, call: str) -> dict[str, Any]:
    return control.transcript(call)
