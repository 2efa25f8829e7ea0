"""The demo's progress line: redrawn in place on a terminal, one line per step elsewhere."""

from __future__ import annotations

from typing import Any

from devkit.dev.demo import ERASE_LINE, Waiting


class _Screen:
    def __init__(self) -> None:
        self.writes: list[str] = []

    def __call__(self, text: str = "", **kwargs: Any) -> None:
        self.writes.append(text + ("" if kwargs.get("nl") is False else "\n"))


def test_a_terminal_line_is_erased_before_it_is_redrawn() -> None:
    """A shorter line after a longer one leaves no residue of it (no stray ``0.0 s``)."""
    screen = _Screen()
    waiting = Waiting(screen, tty=True)
    waiting("the order lookup's result", 10.0)
    waiting("hangup", 0.0)
    waiting.done()
    assert all(w.startswith("\r" + ERASE_LINE) for w in screen.writes[:2])
    assert screen.writes[-1] == "\n"


def test_a_log_gets_one_line_per_awaited_thing() -> None:
    """Without a terminal, each awaited thing is named once, however long it is awaited."""
    screen = _Screen()
    waiting = Waiting(screen, tty=False)
    for waited in (0.0, 0.5, 1.0):
        waiting("hangup", waited)
    waiting("dead letter", 0.0)
    assert screen.writes == ["  waiting for hangup\n", "  waiting for dead letter\n"]
