"""What the pages show: filters, ages, and a replay command the CLI accepts."""

from __future__ import annotations

import dataclasses
import shlex
from datetime import timedelta

import pytest

from callstream.config import ConsoleConfig
from callstream_cli.dlq import replay_command
from console.testing import T0
from console.view import rows
from tests.unit.console.boards import board_with


@pytest.mark.parametrize(
    ("query", "found"),
    [("", True), ("555123", True), ("c-1001", True), ("v3:call", True), ("nobody", False)],
)
def test_the_calls_filter_matches_number_customer_or_call_id(query: str, found: bool) -> None:
    """Any part of the caller's number, the customer id or the call id, any case."""
    board = board_with(ConsoleConfig(), "v3:call-1")
    assert bool(rows.call_rows(board, T0, query)) is found


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0 s"), (59.9, "59 s"), (65, "1 min 5 s"), (7500, "2 h 5 min")]
)
def test_ages_read_as_people_say_them(seconds: float, text: str) -> None:
    assert rows.ago(seconds) == text


def test_live_calls_come_first_and_ended_ones_are_marked() -> None:
    """Ended calls are listed after the live ones, not live (greyed on the page)."""
    board = board_with(ConsoleConfig(), "v3:ended")
    board.calls.update(board_with(ConsoleConfig(), "v3:live", ended=False).calls)
    listed = rows.call_rows(board, T0 + timedelta(seconds=10))
    assert [(r["id"], r["live"]) for r in listed] == [("v3:live", True), ("v3:ended", False)]
    assert listed[1]["state"] == "ended (normal_clearing)"


def test_the_replay_command_is_one_the_cli_accepts_and_selects_the_letter() -> None:
    """Parsed by ``callstream dlq replay`` itself: stage, reason, call, topic, the instant."""
    board = board_with(ConsoleConfig(), "v3:call-1")
    [row] = rows.dead_letter_rows(board.dead_letters)
    argv = shlex.split(row["command"])
    assert argv[:3] == ["callstream", "dlq", "replay"]
    ctx = replay_command.make_context("replay", argv[3:])
    assert ctx.params["reasons"] == ("call_ended",)
    assert ctx.params["stages"] == ("streams",)
    assert ctx.params["call_ids"] == ("v3:call-1",)
    assert ctx.params["since"] == ctx.params["until"] == (T0 + timedelta(seconds=7)).isoformat()
    assert not ctx.params["execute"]


def test_a_hostile_topic_is_quoted_for_the_shell() -> None:
    """Copying the command never runs anything but callstream."""
    board = board_with(ConsoleConfig(), "v3:x")
    hostile = dataclasses.replace(board.dead_letters[0], topic="a;rm -rf ~")
    argv = shlex.split(rows.replay_command(hostile))
    assert argv[argv.index("--topic") + 1] == "a;rm -rf ~"
