"""The emulator's calls: which are live, what was injected into each, and ``command_id`` dedupe.

Pure state with an injected clock, no HTTP: the routes ask it for a verdict
and render that verdict as the real API would. The dedupe rule is the one the
real API documents: a second command with the same ``command_id`` for the
same call within the window (60 s) is ignored — answered as accepted but not
applied. After the window it is applied again, which is exactly the gap the
injector's own ledger exists to close.

It must never decide on HTTP concerns (status codes, bodies); ``routes`` does.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

CallStatus = Literal["live", "ended"]

DEFAULT_DEDUPE_WINDOW_S = 60.0


@dataclass
class Command:
    """One add-messages command as it was applied to a call (what the caller would hear)."""

    command_id: str | None
    messages: Sequence[Mapping[str, Any]]
    trigger_response: bool
    client_state: str | None
    arrived_at: float


@dataclass
class Request:
    """One raw request that reached a known call, whatever became of it.

    ``segment`` is the call id's path segment exactly as it arrived, before any
    percent-decoding; ``traceparent`` the W3C trace context header it came with.
    """

    command_id: str | None
    at: float
    status: int
    applied: bool
    note: str = ""
    segment: str = ""
    traceparent: str | None = None


@dataclass
class Call:
    """A call the emulator knows: its lifecycle and its transcript."""

    call_control_id: str
    started_at: float
    from_number: str | None = None
    to_number: str | None = None
    status: CallStatus = "live"
    ended_at: float | None = None
    commands: list[Command] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    _last_applied: dict[str, float] = field(default_factory=dict, repr=False)

    def transcript_text(self) -> str:
        """The transcript for a person: the call, then each message the call took, in order."""
        parties = f"{self.from_number or '?'} -> {self.to_number or 'the assistant'}"
        lines = [f"call {self.call_control_id}: {parties}, {self.status}"]
        for number, command in enumerate(self.commands, start=1):
            speaks = "speaks now" if command.trigger_response else "context only"
            lines.append(f"\n#{number}  ({speaks})")
            lines.extend(
                f"  {message.get('role', '?')}: "
                + str(message.get("content", "")).replace("\n", "\n    ")
                for message in command.messages
            )
        if not self.commands:
            lines.append("(no message yet)")
        return "\n".join(lines) + "\n"

    def transcript(self) -> dict[str, Any]:
        """The JSON-ready transcript the control API serves.

        Each injected command carries ``requests``: how many raw requests with its
        ``command_id`` reached this call (retries, duplicates and faulted ones included).
        """
        raw = Counter(r.command_id for r in self.requests if r.command_id is not None)
        return {
            "call_control_id": self.call_control_id,
            "from": self.from_number,
            "to": self.to_number,
            "status": self.status,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "injected": [
                {
                    "command_id": c.command_id,
                    "messages": [dict(m) for m in c.messages],
                    "trigger_response": c.trigger_response,
                    "client_state": c.client_state,
                    "arrived_at": c.arrived_at,
                    "requests": raw[c.command_id] if c.command_id is not None else 1,
                }
                for c in self.commands
            ],
            "requests": [
                {
                    "command_id": r.command_id,
                    "at": r.at,
                    "status": r.status,
                    "applied": r.applied,
                    "note": r.note,
                    "segment": r.segment,
                    "traceparent": r.traceparent,
                }
                for r in self.requests
            ],
        }


@dataclass(frozen=True)
class AddMessages:
    """A validated add-messages request body (and the ``traceparent`` header it came with)."""

    messages: Sequence[Mapping[str, Any]]
    command_id: str | None = None
    trigger_response: bool = False
    client_state: str | None = None
    traceparent: str | None = None


Verdict = Literal["applied", "duplicate", "call_ended", "unknown_call"]
"""What became of a command: applied; ignored as a duplicate (still answered as accepted);
refused because the call ended; refused because the call was never seen."""


class CallBook:
    """Every call the emulator has seen, with per-call ``command_id`` dedupe over a window."""

    def __init__(
        self,
        *,
        dedupe_window_s: float = DEFAULT_DEDUPE_WINDOW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if dedupe_window_s < 0:
            raise ValueError("dedupe_window_s must not be negative")
        self.dedupe_window_s = dedupe_window_s
        self._clock = clock
        self._calls: dict[str, Call] = {}

    def start(
        self,
        call_control_id: str,
        *,
        from_number: str | None = None,
        to_number: str | None = None,
    ) -> Call:
        """Make ``call_control_id`` a live call (a call already live is returned as it is)."""
        call = self._calls.get(call_control_id)
        if call is not None and call.status == "live":
            return call
        if call is not None:
            raise ValueError(f"call {call_control_id!r} has ended; call ids are not reused")
        call = Call(
            call_control_id=call_control_id,
            started_at=self._clock(),
            from_number=from_number,
            to_number=to_number,
        )
        self._calls[call_control_id] = call
        return call

    def hang_up(self, call_control_id: str) -> Call:
        """End the call (``KeyError`` if it was never started; hanging up twice is harmless)."""
        call = self._calls[call_control_id]
        if call.status == "live":
            call.status = "ended"
            call.ended_at = self._clock()
        return call

    def get(self, call_control_id: str) -> Call | None:
        return self._calls.get(call_control_id)

    def calls(self) -> list[Call]:
        return list(self._calls.values())

    def clear(self) -> None:
        """Forget every call."""
        self._calls.clear()

    def verdict(self, call_control_id: str, command_id: str | None) -> Verdict:
        """What ``add`` would decide for this command now, without recording anything."""
        call = self._calls.get(call_control_id)
        if call is None:
            return "unknown_call"
        if call.status == "ended":
            return "call_ended"
        if command_id is not None:
            last = call._last_applied.get(command_id)
            if last is not None and self._clock() - last < self.dedupe_window_s:
                return "duplicate"
        return "applied"

    def add(
        self, call_control_id: str, command: AddMessages, *, status: int, segment: str
    ) -> Verdict:
        """Apply ``command`` if the call is live and it is not a duplicate; record the request.

        ``status`` is what the route will answer and ``segment`` the raw path
        segment the request named the call by, both recorded in the transcript.
        """
        verdict = self.verdict(call_control_id, command.command_id)
        call = self._calls.get(call_control_id)
        if call is None:
            return verdict
        now = self._clock()
        applied = verdict == "applied"
        note = "" if applied else verdict
        call.requests.append(
            Request(command.command_id, now, status, applied, note, segment, command.traceparent)
        )
        if applied:
            if command.command_id is not None:
                call._last_applied[command.command_id] = now
            call.commands.append(
                Command(
                    command_id=command.command_id,
                    messages=command.messages,
                    trigger_response=command.trigger_response,
                    client_state=command.client_state,
                    arrived_at=now,
                )
            )
        return verdict

    def record_refused(
        self,
        call_control_id: str,
        command_id: str | None,
        status: int,
        *,
        note: str,
        segment: str,
        traceparent: str | None = None,
    ) -> None:
        """Record a request not applied by this request (a fault answered it, or its path was
        refused), saying why in ``note``."""
        call = self._calls.get(call_control_id)
        if call is None:
            return
        at = self._clock()
        call.requests.append(Request(command_id, at, status, False, note, segment, traceparent))
