"""What each page shows, as plain strings: the one shape both the templates and the live
updates (Server-Sent Events, placed by the page's script with ``textContent``) render.

Every value here may come from a topic: the templates autoescape it and the
script never parses it as HTML. Pure.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from callstream.records.deadletter import REASONS
from console.view.board import Board, DeadLetterView, Latency
from console.view.entries import CallView, Entry

Row = dict[str, Any]


def ago(seconds: float) -> str:
    """A duration as a person reads it: ``42 s``, ``3 min 5 s``, ``2 h 4 min``."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def matches(view: CallView, query: str) -> bool:
    """Whether a call is one the filter (number, customer id or call id, any part) asks for."""
    wanted = query.strip().lower()
    if not wanted:
        return True
    known = (view.call_control_id, view.caller, view.callee, view.customer_id)
    return any(wanted in value.lower() for value in known if value)


def call_row(view: CallView, now: datetime) -> Row:
    """One line of the Calls page."""
    return {
        "id": view.call_control_id,
        "caller": view.caller or "?",
        "customer": view.customer_id or "-",
        "age": ago((now - view.first_at).total_seconds()),
        "pending": ", ".join(sorted(view.pending.values())) or "-",
        "pending_count": len(view.pending),
        "delivered": view.delivered,
        "last": f"{ago((now - view.last_at).total_seconds())} ago",
        "live": view.live,
        "state": "live" if view.live else f"ended ({view.hangup_cause or 'hangup'})",
    }


def call_rows(board: Board, now: datetime, query: str = "") -> list[Row]:
    return [call_row(view, now) for view in board.newest_first() if matches(view, query)]


def entry_row(entry: Entry, start: datetime) -> Row:
    """One line of a call's timeline."""
    return {
        "t": f"{(entry.at - start).total_seconds():+.2f} s",
        "at": entry.at.isoformat(timespec="milliseconds"),
        "kind": entry.kind,
        "tone": entry.tone,
        "title": entry.title,
        "text": entry.text,
        "ids": [f"{name} {value}" for name, value in entry.ids],
        "trace": entry.trace_id or "-",
        "latency": f"{entry.latency_ms:.0f} ms" if entry.latency_ms is not None else "",
    }


def call_detail(view: CallView, now: datetime) -> Row:
    """The One call page: its summary and its whole timeline."""
    return {
        "call": call_row(view, now),
        "callee": view.callee or "?",
        "dropped": view.dropped_entries,
        "entries": [entry_row(entry, view.first_at) for entry in view.entries],
    }


def replay_command(letter: DeadLetterView) -> str:
    """The ``callstream dlq replay`` dry run that selects this dead letter (and anything
    dead-lettered at the same instant for the same call, stage, reason and topic)."""
    argv = ["callstream", "dlq", "replay", "--stage", letter.stage]
    if letter.reason in REASONS:
        argv += ["--reason", letter.reason]
    if letter.call_control_id:
        argv += ["--call-id", letter.call_control_id]
    at = letter.at.isoformat()
    argv += ["--topic", letter.topic, "--since", at, "--until", at]
    return shlex.join(argv)


def dead_letter_row(letter: DeadLetterView) -> Row:
    return {
        "key": f"{letter.partition}:{letter.offset}",
        "at": letter.at.isoformat(timespec="milliseconds"),
        "stage": letter.stage,
        "reason": letter.reason,
        "error": letter.error,
        "topic": letter.topic,
        "call": letter.call_control_id or "-",
        "trace": letter.trace_id or "-",
        "command": replay_command(letter),
    }


def dead_letter_rows(letters: Iterable[DeadLetterView]) -> list[Row]:
    """Newest first."""
    return [dead_letter_row(letter) for letter in sorted(letters, key=lambda x: x.at, reverse=True)]


def by_reason(letters: Iterable[DeadLetterView]) -> list[Row]:
    """How many dead letters each (stage, reason) has, most first."""
    counts: dict[tuple[str, str], int] = {}
    for letter in letters:
        counts[(letter.stage, letter.reason)] = counts.get((letter.stage, letter.reason), 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"stage": s, "reason": r, "count": n} for (s, r), n in ordered]


def latency_row(latency: Latency) -> Row:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f} ms"

    return {
        "count": latency.count,
        "p50": ms(latency.p50_ms),
        "p99": ms(latency.p99_ms),
        "window": ago(latency.window_s),
    }


# -- what each page (and its stream) shows ------------------------------------------------
def calls_page(board: Board, now: datetime, *, query: str = "") -> Row:
    return {"calls": call_rows(board, now, query), "latency": latency_row(board.latency(now))}


def call_page(board: Board, now: datetime, *, call_id: str) -> Row:
    view = board.calls.get(call_id)
    return {"detail": None if view is None else call_detail(view, now)}


def dead_letters_page(board: Board, now: datetime) -> Row:
    letters = list(board.dead_letters)
    return {"letters": dead_letter_rows(letters), "reasons": by_reason(letters)}
