"""The emulator's call book: live and ended calls, and command_id dedupe over a window."""

from __future__ import annotations

import pytest

from devkit.emulator.calls import AddMessages, CallBook


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def command(command_id: str | None = "c1", text: str = "hello") -> AddMessages:
    return AddMessages(messages=[{"role": "system", "content": text}], command_id=command_id)


@pytest.mark.parametrize(
    ("later_s", "verdict", "applied"),
    [
        (0.0, "duplicate", 1),
        (59.9, "duplicate", 1),
        (60.0, "applied", 2),
        (600.0, "applied", 2),
    ],
)
def test_same_command_id_is_ignored_only_within_the_window(
    later_s: float, verdict: str, applied: int
) -> None:
    """A repeat of a command_id within 60 s is a duplicate; after the window it applies again."""
    clock = Clock()
    book = CallBook(dedupe_window_s=60.0, clock=clock)
    book.start("v3:a")
    assert book.add("v3:a", command(), status=200, segment="v3:a") == "applied"
    clock.now += later_s
    assert book.add("v3:a", command(), status=200, segment="v3:a") == verdict
    call = book.get("v3:a")
    assert call is not None
    assert len(call.commands) == applied
    assert len(call.requests) == 2


def test_dedupe_is_per_call_and_absent_without_command_id() -> None:
    """The same command_id on another call applies; commands without an id always apply."""
    book = CallBook(clock=Clock())
    book.start("v3:a")
    book.start("v3:b")
    assert book.add("v3:a", command("x"), status=200, segment="v3:a") == "applied"
    assert book.add("v3:b", command("x"), status=200, segment="v3:b") == "applied"
    assert book.add("v3:a", command(None), status=200, segment="v3:a") == "applied"
    assert book.add("v3:a", command(None), status=200, segment="v3:a") == "applied"


@pytest.mark.parametrize(
    ("setup", "verdict"),
    [("never", "unknown_call"), ("live", "applied"), ("ended", "call_ended")],
)
def test_verdict_follows_the_call_lifecycle(setup: str, verdict: str) -> None:
    """Unknown calls and ended calls refuse; live calls accept."""
    book = CallBook(clock=Clock())
    if setup != "never":
        book.start("v3:a")
    if setup == "ended":
        book.hang_up("v3:a")
    assert book.add("v3:a", command(), status=200, segment="v3:a") == verdict


def test_transcript_counts_raw_requests_per_command() -> None:
    """A command's transcript entry counts every raw request with its id: faults and dupes too."""
    book = CallBook(clock=Clock())
    book.start("v3:a")
    book.record_refused("v3:a", "c1", 503, note="fault", segment="v3:a")
    book.add("v3:a", command("c1"), status=200, segment="v3:a")
    book.add("v3:a", command("c1"), status=200, segment="v3:a")
    transcript = book.get("v3:a").transcript()  # type: ignore[union-attr]
    assert [entry["requests"] for entry in transcript["injected"]] == [3]
    assert [(r["status"], r["applied"], r["note"]) for r in transcript["requests"]] == [
        (503, False, "fault"),
        (200, True, ""),
        (200, False, "duplicate"),
    ]


def test_an_ended_call_cannot_be_restarted_and_hangup_is_idempotent() -> None:
    """Call ids are not reused: starting an ended call is an error; a second hangup is harmless."""
    clock = Clock()
    book = CallBook(clock=clock)
    book.start("v3:a")
    ended = book.hang_up("v3:a")
    clock.now += 5
    assert book.hang_up("v3:a").ended_at == ended.ended_at
    with pytest.raises(ValueError, match="ended"):
        book.start("v3:a")
    with pytest.raises(KeyError):
        book.hang_up("v3:never")


def test_text_transcript_lists_each_message_in_order() -> None:
    """``?format=text``: the call, then each applied command's messages, multi-line indented."""
    from devkit.emulator.calls import Call, Command

    call = Call("v3:emu-1", started_at=0.0, from_number="+15551230000", to_number="assistant")
    call.commands += [
        Command("c1", [{"role": "system", "content": "[ORDER]\norder_id: 1"}], True, None, 1.0),
        Command("c2", [{"role": "system", "content": "note"}], False, None, 2.0),
    ]
    assert call.transcript_text() == (
        "call v3:emu-1: +15551230000 -> assistant, live\n"
        "\n#1  (speaks now)\n  system: [ORDER]\n    order_id: 1\n"
        "\n#2  (context only)\n  system: note\n"
    )
    assert Call("v3:emu-2", started_at=0.0).transcript_text().endswith("(no message yet)\n")
    assert (
        Call("v3:emu-3", started_at=0.0)
        .transcript_text()
        .startswith("call v3:emu-3: ? -> the assistant, live")
    )
