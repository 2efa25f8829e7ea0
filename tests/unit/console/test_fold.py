"""Records fold into a call's story: inputs, decisions and outcomes, with their ids and traces."""

from __future__ import annotations

from datetime import timedelta

import pytest

from callstream.config import ConsoleConfig
from callstream.records import CallEvent, CallEventPayload, Delivery, ToolCall, ToolResult, encode
from console.testing import T0, TRACEPARENT, Recorder, call_records
from console.view.board import Board
from console.view.fold import RawRecord, fold
from tests.unit.console.boards import board_with, rules_for

CALL = "v3:call-1"


def kinds(board: Board, call: str = CALL) -> list[str]:
    return [entry.kind for entry in board.calls[call].entries]


def test_a_whole_call_reads_as_its_timeline_in_time_order() -> None:
    """Every input, decision and outcome appears once, in time order, with its trace id."""
    board = board_with(ConsoleConfig(), CALL)
    view = board.calls[CALL]
    assert kinds(board) == [
        "webhook",
        "tool call",
        "tool call",
        "tool result",
        "injected",
        "delivered",
        "tool result",
        "injected",
        "delivered",
        "event",
        "injected",
        "delivered",
        "supervisor",
        "webhook",
        "dead-lettered",
    ]
    assert [e.at for e in view.entries] == sorted(e.at for e in view.entries)
    assert view.caller == "+15551230000"
    assert view.customer_id == "C-1001"
    assert view.delivered == 3
    assert not view.live
    assert view.hangup_cause == "normal_clearing"
    assert {e.trace_id for e in view.entries if e.kind != "dead-lettered"} == {TRACEPARENT[3:35]}
    assert board.unreadable == 0


def test_a_delivery_shows_the_text_the_remote_received_and_its_latency() -> None:
    """The delivered entry carries its injection's exact text, the latency and the retries."""
    board = board_with(ConsoleConfig(), CALL, crm_note="call back after 5")
    delivered = [e for e in board.calls[CALL].entries if e.kind == "delivered"]
    assert [e.text for e in delivered] == [
        "[lookup_order_status] shipped 0",
        "[check_loyalty_points] shipped 1",
        "CRM update: call back after 5",
    ]
    assert [e.latency_ms for e in delivered] == [80, 81, 150]
    assert delivered[1].title == "delivered after 2 attempts (HTTP 200)"


def test_a_source_event_by_phone_number_finds_its_call() -> None:
    """A CRM event that names only the caller's number lands on the caller's live call."""
    board = board_with(ConsoleConfig(), CALL)
    [event] = [e for e in board.calls[CALL].entries if e.kind == "event"]
    assert event.title == "crm profile_updated"
    assert '"note": "prefers email"' in event.text


def test_a_dead_letter_is_on_its_call_and_on_the_dead_letter_list() -> None:
    """Its stage, reason and error are kept; the DLQ position identifies it."""
    board = board_with(ConsoleConfig(), CALL)
    [entry] = [e for e in board.calls[CALL].entries if e.kind == "dead-lettered"]
    assert entry.title == "dead-lettered by streams: call_ended"
    [letter] = board.dead_letters
    assert (letter.stage, letter.reason, letter.call_control_id) == ("streams", "call_ended", CALL)


def test_pending_lookups_are_those_asked_and_not_yet_answered() -> None:
    """A result read before its request (topics are read side by side) leaves nothing pending."""
    board = Board(ConsoleConfig())
    recorder = Recorder()
    rules = rules_for(ConsoleConfig())
    asked = ToolCall(
        request_id="r1", tool="lookup", call_control_id=CALL, arguments={}, received_at=T0
    )
    answered = ToolResult(
        request_id="r2", tool="lookup", call_control_id=CALL, status="ok", completed_at=T0
    )
    early = ToolCall(
        request_id="r2", tool="lookup", call_control_id=CALL, arguments={}, received_at=T0
    )
    for role, record in (("tool-calls", asked), ("tool-results", answered), ("tool-calls", early)):
        fold(board, recorder.raw(role, record, T0), rules)
    assert board.calls[CALL].pending == {"r1": "lookup"}


@pytest.mark.parametrize("hidden", ["crm", "tool", "supervisor"])
def test_hidden_contents_never_reach_the_view(hidden: str) -> None:
    """With ``hide_contents``, that input's data and the messages it caused are replaced."""
    config = ConsoleConfig(hide_contents=[hidden])
    board = board_with(config, CALL, crm_note="SECRET-PII")
    texts = {e.kind: e.text for e in board.calls[CALL].entries}
    source_kind = {"crm": "event", "tool": "tool result", "supervisor": "supervisor"}[hidden]
    assert texts[source_kind] == f"(contents of {hidden} hidden by configuration)"
    if hidden == "crm":
        assert not any("SECRET-PII" in e.text for e in board.calls[CALL].entries)


def test_records_that_do_not_decode_are_counted_and_skipped() -> None:
    """A broken record changes nothing but the unreadable count."""
    board = Board(ConsoleConfig())
    for role in ("call-events", "tool-calls", "injections", "deliveries", "dlq", "source", "x"):
        raw = RawRecord(role, "t", 0, 0, T0, b"{not json", (), source="crm")
        fold(board, raw, rules_for(ConsoleConfig()))
    assert board.unreadable == 7
    assert not board.calls


def test_a_source_event_with_no_known_call_is_placed_by_its_injection() -> None:
    """An event routed by a key the console never saw joins the call its injection names."""
    board = Board(ConsoleConfig())
    recorder = Recorder()
    rules = rules_for(ConsoleConfig())
    records = call_records(recorder, CALL, caller="+15550000000")
    # read the source topic first, before any call event told the console the number
    records.sort(key=lambda raw: raw.role != "source")
    for raw in records:
        fold(board, raw, rules)
    assert "event" in kinds(board)


def test_a_late_record_of_a_forgotten_call_does_not_bring_it_back() -> None:
    """Once pruned, a call stays forgotten."""
    config = ConsoleConfig(ended_keep_s=60)
    board = board_with(config, CALL)
    board.prune(T0 + timedelta(seconds=600))
    assert CALL not in board.calls
    late = CallEvent(
        event_id="late",
        event_type="call.recording.saved",
        call_control_id=CALL,
        occurred_at=T0,
        payload=CallEventPayload(),
    )
    fold(board, Recorder().raw("call-events", late, T0), rules_for(config))
    assert CALL not in board.calls


ROLE_ORDERS = [
    ("call-events", "tool-calls", "tool-results", "source", "supervisor", "injections",
     "deliveries", "dlq"),
    ("dlq", "deliveries", "injections", "supervisor", "source", "tool-results", "tool-calls",
     "call-events"),
    ("injections", "deliveries", "source", "call-events", "tool-results", "dlq", "supervisor",
     "tool-calls"),
    ("call-events", "dlq", "source", "deliveries", "injections", "tool-calls", "supervisor",
     "tool-results"),
]  # fmt: skip


@pytest.mark.parametrize("order", ROLE_ORDERS)
def test_a_rebuild_reading_topic_after_topic_tells_the_same_story(order: tuple[str, ...]) -> None:
    """Whatever order the topics are read in (a restart reads them side by side), every
    record finds its call, and the timeline and counts come out the same."""
    expected = board_with(ConsoleConfig(), CALL)
    records = call_records(Recorder(), CALL)
    board = Board(ConsoleConfig())
    for role in order:
        for raw in records:
            if raw.role == role:
                fold(board, raw, rules_for(ConsoleConfig()))
    view, want = board.calls[CALL], expected.calls[CALL]
    assert [(e.kind, e.title, e.text) for e in view.entries] == [
        (e.kind, e.title, e.text) for e in want.entries
    ]
    assert (view.delivered, view.pending, view.live) == (want.delivered, want.pending, want.live)


def test_a_follow_up_sms_sent_after_the_call_reads_as_delivered_not_failed() -> None:
    """An ``sms_sent`` outcome (the follow-up's id in ``injection_id``) is a success, kept out
    of the call's delivered count and the latency panel, which are about the call itself."""
    board = board_with(ConsoleConfig(), CALL)
    before = board.calls[CALL].delivered
    sms = Delivery(
        injection_id="fu-1",
        call_control_id=CALL,
        outcome="sms_sent",
        status_code=200,
        attempts=1,
        at=T0 + timedelta(seconds=30),
    )
    raw = RawRecord("deliveries", "t", 0, 99, T0 + timedelta(seconds=30), encode(sms), ())
    fold(board, raw, rules_for(ConsoleConfig()))
    last = board.calls[CALL].entries[-1]
    assert (last.kind, last.title) == ("delivered", "follow-up SMS sent (HTTP 200)")
    assert board.calls[CALL].delivered == before
