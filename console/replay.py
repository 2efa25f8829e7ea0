"""The replay button: one dead letter, a dry run first, then the replay (replay token only).

It re-drives exactly the record at ``dlq:<partition>:<offset>`` through
``callstream.dlq`` (the code ``callstream dlq replay`` runs): a scan narrowed by
the letter's own call, stage, reason, topic and time, then the one record at
that position. A replay needs the confirmation the dry run of the same record
handed out, so nothing is written by a single click.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from callstream.dlq import DeadRecord, ReplayFilter, ReplaySummary, replay, scan
from callstream.kafka import KafkaConnection
from console.view.board import DeadLetterView

CONFIRM_TTL_S = 300.0


@dataclass(frozen=True)
class ReplayReport:
    """What a dry run found, or what a replay did."""

    executed: bool
    found: bool
    line: str
    confirm: str | None = None
    """Handed out by a dry run that found the record: what the replay must send back."""


class Replayer:
    """Dry-runs and replays single dead letters; one at a time."""

    def __init__(self, conn: KafkaConnection, dlq_topic: str) -> None:
        self._conn = conn
        self._dlq = dlq_topic
        self._lock = threading.Lock()
        self._confirms: dict[str, tuple[int, int, float]] = {}

    def _find(self, letter: DeadLetterView) -> DeadRecord | None:
        wanted = ReplayFilter(
            reasons=frozenset({letter.reason}),
            stages=frozenset({letter.stage}),
            call_ids=frozenset({letter.call_control_id}) if letter.call_control_id else frozenset(),
            topics=frozenset({letter.topic}),
            since=letter.at,
            until=letter.at,
        )
        for record in scan(self._conn, self._dlq, wanted, ReplaySummary()):
            if (record.partition, record.offset) == (letter.partition, letter.offset):
                return record
        return None

    def dry_run(self, letter: DeadLetterView) -> ReplayReport:
        """Whether the record is still there, and what a replay would do (writes nothing)."""
        with self._lock:
            record = self._find(letter)
            where = f"{self._dlq}:{letter.partition}:{letter.offset}"
            if record is None:
                return ReplayReport(False, False, f"{where} was not found (retention?)")
            confirm = secrets.token_urlsafe(16)
            self._confirms[confirm] = (letter.partition, letter.offset, time.monotonic())
            line = f"would replay {where} ({letter.stage}/{letter.reason}) -> {letter.topic}"
            return ReplayReport(False, True, line, confirm)

    def execute(self, letter: DeadLetterView, confirm: str) -> ReplayReport | None:
        """Replay the record the dry run found; None if ``confirm`` is not that dry run's."""
        with self._lock:
            self._confirms = {
                key: value
                for key, value in self._confirms.items()
                if time.monotonic() - value[2] < CONFIRM_TTL_S
            }
            held = self._confirms.pop(confirm, None)
            if held is None or held[:2] != (letter.partition, letter.offset):
                return None
            record = self._find(letter)
            where = f"{self._dlq}:{letter.partition}:{letter.offset}"
            if record is None:
                return ReplayReport(True, False, f"{where} was not found (retention?)")
            summary = ReplaySummary()
            replay(self._conn, self._dlq, [record], summary)
            return ReplayReport(True, True, f"replayed {where} -> {letter.topic}")
