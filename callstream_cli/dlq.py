"""``callstream dlq replay``: re-drive dead-lettered records; a dry run unless --execute."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from callstream.dlq import DeadRecord, ReplayFilter, ReplaySummary, replay, scan
from callstream.errors import ConfigError
from callstream.records.deadletter import REASONS
from callstream.startup import start_service
from callstream_cli.broker import reach_kafka


def _when(value: str | None, flag: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"{flag} {value!r}: use ISO 8601, e.g. 2026-11-23T14:00:00Z") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.group()
def dlq() -> None:
    """Inspect and replay the dead-letter topic."""


@dlq.command("replay")
@click.option(
    "--reason",
    "reasons",
    multiple=True,
    type=click.Choice(REASONS),
    metavar="REASON",
    help="Only this reason (repeatable): " + ", ".join(REASONS) + ".",
)
@click.option(
    "--stage",
    "stages",
    multiple=True,
    type=click.Choice(["ingress", "streams", "tool-runner", "injector"]),
    help="Only records dead-lettered by this stage (repeatable).",
)
@click.option("--call-id", "call_ids", multiple=True, help="Only this call (repeatable).")
@click.option("--topic", "topics", multiple=True, help="Only records from this topic (repeatable).")
@click.option("--since", default=None, help="Dead-lettered at or after (ISO 8601; UTC if no zone).")
@click.option("--until", default=None, help="Dead-lettered at or before (ISO 8601).")
@click.option("--execute", is_flag=True, help="Really produce; without it nothing is written.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Replay at most N records.")
def replay_command(
    reasons: tuple[str, ...],
    stages: tuple[str, ...],
    call_ids: tuple[str, ...],
    topics: tuple[str, ...],
    since: str | None,
    until: str | None,
    execute: bool,
    limit: int | None,
) -> None:
    """Send matching dead letters back to the topic each came from.

    Without --execute this is a dry run that lists what would be replayed.
    Replay is safe to repeat: downstream ids are derived from the records, so a
    replayed record is delivered at most once in effect.
    """
    try:
        wanted = ReplayFilter(
            reasons=frozenset(reasons),
            stages=frozenset(stages),
            call_ids=frozenset(call_ids),
            topics=frozenset(topics),
            since=_when(since, "--since"),
            until=_when(until, "--until"),
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    settings = start_service("dlq")
    conn = reach_kafka(settings)
    dlq_topic = settings.topics.dlq
    summary = ReplaySummary()

    def progress(line: str) -> None:
        click.echo(line, err=True)

    chosen: list[DeadRecord] = []
    for record in scan(conn, dlq_topic, wanted, summary, progress=progress):
        if limit is not None and len(chosen) >= limit:
            continue  # keep scanning so the summary counts every match
        chosen.append(record)
        letter = record.letter
        click.echo(
            f"{'replay' if execute else 'would replay'}  {dlq_topic}:{record.partition}:"
            f"{record.offset}  {letter.at.isoformat()}  {letter.stage}/{letter.reason}  "
            f"-> {letter.topic}  call={letter.call_control_id or '-'}"
        )
    if execute and chosen:
        replay(conn, dlq_topic, chosen, summary)
    reasons_line = ", ".join(f"{r}: {n}" for r, n in summary.by_reason.most_common()) or "none"
    click.echo(
        f"scanned {summary.scanned}, matched {summary.matched} ({reasons_line}), "
        f"unreadable {summary.unreadable}; "
        + (
            f"replayed {summary.replayed}"
            if execute
            else "dry run: nothing written (add --execute)"
        )
    )
