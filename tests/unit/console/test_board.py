"""The view stays bounded: by count and age of calls, entries per call, dead letters, latencies."""

from __future__ import annotations

from datetime import timedelta

from callstream.config import ConsoleConfig
from console.testing import T0
from console.view.board import Board
from console.view.entries import Entry
from tests.unit.console.boards import board_with


def test_ended_calls_go_after_their_keep_time_and_live_ones_stay() -> None:
    """An ended call leaves ``ended_keep_s`` after its hangup; a live call is kept."""
    config = ConsoleConfig(ended_keep_s=60)
    board = board_with(config, "v3:ended")
    live = board_with(config, "v3:live", ended=False).calls["v3:live"]
    board.calls["v3:live"] = live
    board.prune(T0 + timedelta(seconds=66))  # hangup at +6 s: exactly 60 s later
    assert set(board.calls) == {"v3:ended", "v3:live"}
    board.prune(T0 + timedelta(seconds=67))
    assert set(board.calls) == {"v3:live"}


def test_only_the_newest_ended_calls_are_kept() -> None:
    """Beyond ``max_ended_calls``, the calls that ended first go first."""
    board = board_with(ConsoleConfig(max_ended_calls=2), "v3:a", "v3:b", "v3:c")
    board.prune(T0)
    assert len(board.calls) == 2


def test_the_total_is_bounded_by_max_calls_least_recent_first() -> None:
    """Live calls too: the least recently active go first."""
    board = board_with(ConsoleConfig(max_calls=2), "v3:a", "v3:b", "v3:c", ended=False)
    board.prune(T0)
    assert list(board.calls) == ["v3:b", "v3:c"]


def test_a_silent_call_is_forgotten_after_idle_forget_s() -> None:
    """A call whose hangup was never read does not stay live for ever."""
    board = board_with(ConsoleConfig(idle_forget_s=100), "v3:a", ended=False)
    board.prune(T0 + timedelta(seconds=104))
    assert "v3:a" in board.calls
    board.prune(T0 + timedelta(seconds=106))
    assert not board.calls


def test_entries_per_call_are_bounded_and_the_rest_counted() -> None:
    """Beyond ``max_entries_per_call`` an entry is counted, not kept."""
    board = Board(ConsoleConfig(max_entries_per_call=3))
    view = board.call("v3:a", T0)
    assert view is not None
    for n in range(5):
        board.add(view, Entry(at=T0 + timedelta(seconds=n), kind="webhook", title=str(n)))
    assert [e.title for e in view.entries] == ["0", "1", "2"]
    assert view.dropped_entries == 2


def test_latency_is_p50_and_p99_of_the_deliveries_in_the_window() -> None:
    """Nearest rank over the window's deliveries; older ones do not count."""
    board = Board(ConsoleConfig(latency_window_s=60))
    board.delivered(T0 - timedelta(seconds=120), 10_000.0)
    for ms in range(1, 101):
        board.delivered(T0, float(ms))
    latency = board.latency(T0 + timedelta(seconds=30))
    assert (latency.count, latency.p50_ms, latency.p99_ms) == (100, 50.0, 99.0)
    board.prune(T0 + timedelta(seconds=61))
    assert board.latency(T0 + timedelta(seconds=61)).count == 0


def test_dead_letters_keep_the_newest() -> None:
    """At most ``max_dead_letters``."""
    board = board_with(ConsoleConfig(max_dead_letters=2), "v3:a", "v3:b", "v3:c")
    assert [letter.call_control_id for letter in board.dead_letters] == ["v3:b", "v3:c"]
