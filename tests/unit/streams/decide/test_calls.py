"""The call join: each kind of input against a call unknown, live and ended, once and twice."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callstream.records import Record
from streams import testing as build
from streams.decide.calls import decide
from streams.decide.inputs import Input
from streams.decide.outputs import Inject, Output
from streams.decide.rules import Rules
from streams.state.calls import CallState
from tests.unit.streams.conftest import app_config, make_input, summaries

CALL = "v3:call-1"
PHONE = "+15551230000"
NOW = 1_000.0


class Call:
    """Feeds inputs to one call's state the way the batch does, keeping every output."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.state: CallState | None = None
        self.outputs: list[Output] = []

    def feed(
        self, record: Record | bytes, *, source: str | None = None, now: float = NOW
    ) -> list[str]:
        item = make_input(record, self.rules, source=source, call=CALL)
        decision = decide(self.state, item, self.rules, now)
        self.state = decision.state
        self.outputs.extend(decision.outputs)
        return summaries(decision.outputs)

    def item(self, record: Record | bytes, *, source: str | None = None) -> Input:
        return make_input(record, self.rules, source=source, call=CALL)


def known_call(rules: Rules) -> Call:
    call = Call(rules)
    call.feed(build.call_event(CALL, "call.initiated", from_=PHONE, to="+15559870000"))
    call.feed(build.call_event(CALL, "call.answered"))
    call.feed(build.tool_call(CALL, "r-1", "lookup_order_status", order_id="ORD-1"))
    return call


def ended_call(rules: Rules) -> Call:
    call = known_call(rules)
    call.feed(build.call_event(CALL, "call.hangup"))
    return call


SETUPS: dict[str, Callable[[Rules], Call]] = {
    "not yet known": Call,
    "live": known_call,
    "ended": ended_call,
}

INPUTS: dict[str, tuple[Record | bytes, str | None]] = {
    "lifecycle event": (build.call_event(CALL, "call.bridged"), None),
    "tool call": (build.tool_call(CALL, "r-2", "lookup_order_status", order_id="ORD-2"), None),
    "tool result": (build.tool_result(CALL, "r-1", "lookup_order_status", {"s": "SHIPPED"}), None),
    "supervisor": (build.supervisor(CALL, "m-1", "Offer the 10% voucher."), None),
    "source, injected": (build.source_event("E-1", "order.updated", {"o": 1}, call=CALL), "crm"),
    "source, not injected": (build.source_event("E-2", "crm.unlisted", call=CALL), "crm"),
}

# (call, input) -> (outputs the first time, outputs the second time, status after, held after)
EXPECTED: dict[tuple[str, str], tuple[list[str], list[str], str, int]] = {
    ("not yet known", "lifecycle event"): ([], ["drop:duplicate"], "active", 0),
    ("not yet known", "tool call"): ([], ["drop:duplicate"], "active", 0),
    ("not yet known", "tool result"): ([], ["drop:duplicate"], "unknown", 1),
    ("not yet known", "supervisor"): ([], ["drop:duplicate"], "unknown", 1),
    ("not yet known", "source, injected"): ([], ["drop:duplicate"], "unknown", 1),
    ("not yet known", "source, not injected"): ([], ["drop:duplicate"], "unknown", 1),
    ("live", "lifecycle event"): ([], ["drop:duplicate"], "active", 0),
    ("live", "tool call"): ([], ["drop:duplicate"], "active", 0),
    ("live", "tool result"): (["inject:tool:r-1"], ["drop:duplicate"], "active", 0),
    ("live", "supervisor"): (["inject:supervisor:m-1"], ["drop:duplicate"], "active", 0),
    ("live", "source, injected"): (["inject:crm:E-1"], ["drop:duplicate"], "active", 0),
    ("live", "source, not injected"): (["drop:not_injected"], ["drop:duplicate"], "active", 0),
    ("ended", "lifecycle event"): (["drop:lifecycle_after_end"], ["drop:duplicate"], "ended", 0),
    ("ended", "tool call"): (["dlq:call_ended"], ["drop:duplicate"], "ended", 0),
    ("ended", "tool result"): (["dlq:call_ended"], ["drop:duplicate"], "ended", 0),
    ("ended", "supervisor"): (["dlq:call_ended"], ["drop:duplicate"], "ended", 0),
    ("ended", "source, injected"): (["dlq:call_ended"], ["drop:duplicate"], "ended", 0),
    ("ended", "source, not injected"): (["dlq:call_ended"], ["drop:duplicate"], "ended", 0),
}


@pytest.mark.parametrize(("setup", "kind"), list(EXPECTED))
def test_each_input_against_each_call_state_once_and_twice(
    rules: Rules, setup: str, kind: str
) -> None:
    """Known calls inject, unknown ones hold, ended ones dead-letter; a repeat changes nothing."""
    first, second, status, held = EXPECTED[setup, kind]
    call = SETUPS[setup](rules)
    record, source = INPUTS[kind]
    assert call.feed(record, source=source) == first
    assert call.feed(record, source=source) == second
    assert call.state is not None
    assert (call.state.status, len(call.state.held)) == (status, held)


def test_the_first_proof_of_life_indexes_the_call_and_the_hangup_unindexes_it(
    rules: Rules,
) -> None:
    """The correlation index hears of the caller's number when the call goes live and ends."""
    call = Call(rules)
    assert call.feed(build.call_event(CALL, "call.initiated", from_="(555) 123-0000")) == [
        f"index:add:phone:{PHONE}"
    ]
    assert call.feed(build.tool_call(CALL, "r-9", "lookup_order_status", customer_id="C-7")) == [
        "index:add:customer:C-7"
    ]
    assert call.feed(build.call_event(CALL, "call.hangup")) == [
        f"index:end:phone:{PHONE}",
        "index:end:customer:C-7",
    ]


def test_an_outbound_call_is_indexed_by_the_number_it_called(rules: Rules) -> None:
    """On an outbound call the customer is the callee."""
    call = Call(rules)
    event = build.call_event(
        CALL, "call.initiated", from_="+15550000001", to=PHONE, direction="outgoing"
    )
    assert call.feed(event) == [f"index:add:phone:{PHONE}"]


def test_a_hangup_before_the_answer_still_ends_the_call(rules: Rules) -> None:
    """Webhooks come unordered: the answer arriving after the hangup does not revive the call."""
    call = Call(rules)
    call.feed(build.call_event(CALL, "call.initiated"))
    call.feed(build.call_event(CALL, "call.hangup"))
    assert call.feed(build.call_event(CALL, "call.answered")) == ["drop:lifecycle_after_end"]
    assert call.state is not None
    assert call.state.status == "ended"
    assert call.feed(build.supervisor(CALL, "m-1", "hello")) == ["dlq:call_ended"]


def test_inputs_held_for_an_unknown_call_are_applied_in_arrival_order(rules: Rules) -> None:
    """Early records wait for their call and then go out in the order they arrived."""
    call = Call(rules)
    assert call.feed(build.supervisor(CALL, "m-1", "first")) == []
    assert call.feed(build.source_event("E-1", "order.updated", call=CALL), source="crm") == []
    assert call.feed(build.supervisor(CALL, "m-2", "second")) == []
    assert call.feed(build.call_event(CALL, "call.initiated")) == [
        "inject:supervisor:m-1",
        "inject:crm:E-1",
        "inject:supervisor:m-2",
    ]


def test_a_hangup_as_the_first_event_dead_letters_what_was_held(rules: Rules) -> None:
    """A call first heard of by its hangup never receives what waited for it."""
    call = Call(rules)
    call.feed(build.supervisor(CALL, "m-1", "too late"))
    assert call.feed(build.call_event(CALL, "call.hangup")) == ["dlq:call_ended"]


def test_a_duplicate_held_before_its_call_is_applied_once(rules: Rules) -> None:
    """A record delivered twice while its call is unknown is injected once when it appears."""
    call = Call(rules)
    note = build.supervisor(CALL, "m-1", "once")
    call.feed(note)
    assert call.feed(note) == ["drop:duplicate"]
    assert call.feed(build.call_event(CALL, "call.initiated")) == ["inject:supervisor:m-1"]


LIFECYCLE = ["call.initiated", "call.answered", "call.bridged", "call.hangup"]


@given(st.permutations(LIFECYCLE))
def test_status_is_monotonic_whatever_the_order(order: list[str]) -> None:
    """Whatever order the lifecycle webhooks come in, the call ends ended, never revived."""
    rules = Rules()
    call = Call(rules)
    statuses = []
    for event_type in order:
        call.feed(build.call_event(CALL, event_type))
        assert call.state is not None
        statuses.append(call.state.status)
    rank = {"ringing": 1, "active": 2, "ended": 3}
    assert [rank[s] for s in statuses] == sorted(rank[s] for s in statuses)
    assert statuses[-1] == "ended"


SCENARIO = {
    "initiated": build.call_event(CALL, "call.initiated", from_=PHONE),
    "answered": build.call_event(CALL, "call.answered"),
    "request": build.tool_call(CALL, "r-1", "lookup_order_status", order_id="ORD-1"),
    "result": build.tool_result(CALL, "r-1", "lookup_order_status", {"status": "SHIPPED"}),
    "supervisor": build.supervisor(CALL, "m-1", "Mention the voucher."),
    "hangup": build.call_event(CALL, "call.hangup"),
}


@settings(max_examples=300, deadline=None)
@given(st.permutations([*SCENARIO, "result", "supervisor", "request", "answered"]))
def test_every_arrival_order_gives_each_input_exactly_one_fate(order: list[str]) -> None:
    """In any order, with duplicates, each message is injected once or dead-lettered once."""
    rules = Rules.from_config(app_config())
    call = Call(rules)
    for name in order:
        call.feed(SCENARIO[name])
    position = {name: order.index(name) for name in SCENARIO}  # first arrival of each
    hangup = position["hangup"]
    live_before_hangup = (
        min(position["initiated"], position["answered"], position["request"]) < hangup
    )
    injected = [o.injection.cause_id for o in call.outputs if isinstance(o, Inject)]
    dead = summaries(o for o in call.outputs if not isinstance(o, Inject))
    assert len(injected) == len(set(injected))
    expect_note = live_before_hangup and position["supervisor"] < hangup
    expect_result = position["request"] < hangup and position["result"] < hangup
    assert ("m-1" in injected) == expect_note
    assert ("r-1" in injected) == expect_result
    fates = len(injected) + dead.count("dlq:call_ended")
    # The supervisor message and the result each end one way; a tool request that
    # arrives after the hangup is dead-lettered too.
    assert fates == 2 + (position["request"] > hangup)
    assert call.state is not None
    assert call.state.status == "ended"
    assert not call.state.held
