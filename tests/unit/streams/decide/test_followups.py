"""Follow-ups: what a hung-up call never heard, gathered per window into one record."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callstream.ids import followup_id
from callstream.records import Followup, Injection, Message
from streams import testing as build
from streams.decide import followups
from streams.decide.expiry import expire, next_deadline
from streams.decide.outputs import FollowUp, Output
from streams.decide.rules import Rules
from tests.unit.streams.conftest import CONFIG, app_config
from tests.unit.streams.decide.test_calls import CALL, NOW, PHONE, Call

SMS = """
followups:
  window_s: 10
  sources:
    tool: {sms: true}
    fraud: {}
  sms:
    enabled: true
    from_number: "+15550001111"
"""


def rules_with(extra: str = "") -> Rules:
    return Rules.from_config(app_config(CONFIG + extra))


def hung_up(rules: Rules, *, consent: bool | None = None) -> Call:
    """A live call with two lookups in flight, then the hangup at NOW."""
    call = Call(rules)
    call.feed(build.call_event(CALL, "call.initiated", from_=PHONE, to="+15559870000"))
    call.feed(build.call_event(CALL, "call.answered", customer_id="C-1001"))
    extra = {} if consent is None else {"sms_consent": consent}
    call.feed(build.tool_call(CALL, "r-1", "lookup_order_status", order_id="ORD-1", **extra))
    call.feed(build.tool_call(CALL, "r-2", "check_loyalty_points", customer_id="C-1001"))
    call.feed(build.call_event(CALL, "call.hangup"))
    return call


def late_results(call: Call, *, now: float = NOW + 2) -> None:
    call.feed(build.tool_result(CALL, "r-1", "lookup_order_status", {"status": "SHIPPED"}), now=now)
    call.feed(build.tool_result(CALL, "r-2", "check_loyalty_points", {"points": 2487}), now=now)


def tick(call: Call, now: float) -> list[Followup]:
    assert call.state is not None
    decision = expire(call.state, CALL, call.rules, now)
    call.state = decision.state
    call.outputs.extend(decision.outputs)
    return emitted(decision.outputs)


def emitted(outputs: list[Output] | tuple[Output, ...]) -> list[Followup]:
    return [output.followup for output in outputs if isinstance(output, FollowUp)]


def test_two_late_results_become_one_followup_when_the_window_closes() -> None:
    """Both results dead-lettered call_ended; one record carrying both, after the window."""
    call = hung_up(rules_with())
    late_results(call)
    assert [o for o in call.outputs if isinstance(o, FollowUp)] == []
    assert call.state is not None
    assert next_deadline(call.state, call.rules) == NOW + 10
    assert tick(call, NOW + 9.9) == []
    (record,) = tick(call, NOW + 10)
    assert record.cause_ids == ["r-1", "r-2"]
    assert record.event_types == ["lookup_order_status", "check_loyalty_points"]
    assert record.sources == ["tool", "tool"]
    assert record.source == "tool"
    assert record.reason == "call_ended"
    assert record.reasons == ["call_ended", "call_ended"]
    assert (record.from_, record.to, record.caller) == (PHONE, "+15559870000", PHONE)
    assert record.customer_id == "C-1001"
    assert record.call_ended_at == datetime.fromtimestamp(NOW, UTC)
    assert record.followup_id == followup_id(CALL, "tool:r-1")
    assert "asked: order_id ORD-1" in record.messages[0].content
    assert "status: SHIPPED" in record.messages[0].content
    assert record.facts[0]["arguments"] == {"order_id": "ORD-1"}
    assert record.facts[1]["result"] == {"points": 2487}
    assert record.sms is None
    assert record.sms_skipped == "disabled"
    assert call.state is not None
    assert call.state.followup is None
    assert tick(call, NOW + 20) == []


def test_a_redelivered_result_adds_nothing() -> None:
    """The same result again after the hangup is a duplicate, not a second cause."""
    call = hung_up(rules_with())
    late_results(call)
    assert call.feed(build.tool_result(CALL, "r-1", "lookup_order_status", {"s": 1})) == [
        "drop:duplicate"
    ]
    (record,) = tick(call, NOW + 10)
    assert record.cause_ids == ["r-1", "r-2"]


def test_a_straggler_after_the_window_gets_a_followup_of_its_own() -> None:
    """Membership goes by record time: a result after the window opens a new one."""
    call = hung_up(rules_with())
    call.feed(build.tool_result(CALL, "r-1", "lookup_order_status", {"s": 1}), now=NOW + 1)
    item = call.item(build.tool_result(CALL, "r-2", "check_loyalty_points", {"p": 1}))
    late = type(item)(item.record, item.raw, type(item.origin)("t", 0, 9, NOW + 30))  # type: ignore[call-arg, arg-type]
    from streams.decide.calls import decide

    decision = decide(call.state, late, call.rules, NOW + 30)
    call.state = decision.state
    (first,) = emitted(decision.outputs)  # the open window closes first
    assert first.cause_ids == ["r-1"]
    assert tick(call, NOW + 39) == []
    (second,) = tick(call, NOW + 40)
    assert second.cause_ids == ["r-2"]
    assert second.followup_id == followup_id(CALL, "tool:r-2") != first.followup_id


@pytest.mark.parametrize(
    ("source", "event_type", "followed"),
    [
        ("fraud", "fraud.alert", True),
        ("crm", "profile.updated", False),
        ("ticketing", "ticket.updated", False),
    ],
)
def test_which_sources_are_followed_up_by_default(
    source: str, event_type: str, followed: bool
) -> None:
    """Tool results and fraud alerts yes; CRM and ticket updates no (dead-lettered only)."""
    call = hung_up(rules_with())
    event = build.source_event("E-1", event_type, {"reason": "x"}, call=CALL)
    assert call.feed(event, source=source, now=NOW + 1) == ["dlq:call_ended"]
    found = tick(call, NOW + 10)
    assert [r.event_types for r in found] == ([[event_type]] if followed else [])


def test_a_supervisor_note_is_not_followed_up_by_default() -> None:
    call = hung_up(rules_with())
    assert call.feed(build.supervisor(CALL, "m-1", "Offer the voucher.")) == ["dlq:call_ended"]
    assert tick(call, NOW + 10) == []


def test_the_configuration_chooses_types() -> None:
    """``types`` narrows a source to the event types (tool names) listed."""
    rules = rules_with("followups:\n  sources:\n    tool: {types: [check_loyalty_points]}\n")
    call = hung_up(rules)
    late_results(call)
    (record,) = tick(call, NOW + 10)
    assert record.cause_ids == ["r-2"]


def undelivered(cause: str, reason: str = "call_ended") -> Injection:
    return Injection(
        injection_id=f"inj-{cause}",
        call_control_id=CALL,
        messages=[Message(role="system", content=f"[RESULT] {cause}")],
        source="tool",
        cause_id=cause,
        created_at=build.at(0),
        expires_at=build.at(300),
        event_type="lookup_order_status",
        facts={"tool": "lookup_order_status", "result": {"status": "SHIPPED"}},
    )


def test_the_injectors_undelivered_injections_join_the_window_once() -> None:
    """An injection reported call_ended joins the call's window; a redelivered report is dropped."""
    rules = rules_with()
    call = hung_up(rules)
    state, outputs = followups.undelivered(
        call.state, undelivered("r-9"), "call_ended", timestamp=NOW + 1, rules=rules, now=NOW + 1
    )
    assert outputs == ()
    again, repeat = followups.undelivered(
        state, undelivered("r-9"), "call_ended", timestamp=NOW + 1, rules=rules, now=NOW + 2
    )
    assert [type(o).__name__ for o in repeat] == ["Dropped"]
    call.state = again
    (record,) = tick(call, NOW + 10)
    assert record.cause_ids == ["r-9"]
    assert record.messages[0].content == "[RESULT] r-9"
    assert record.facts == [{"tool": "lookup_order_status", "result": {"status": "SHIPPED"}}]


def test_an_expired_injection_of_a_live_call_waits_its_window_from_its_own_time() -> None:
    """No hangup known: the window runs from the cause; the reason says expired."""
    rules = rules_with()
    call = Call(rules)
    call.feed(build.call_event(CALL, "call.answered", from_=PHONE))
    state, _ = followups.undelivered(
        call.state, undelivered("r-5"), "expired", timestamp=NOW, rules=rules, now=NOW
    )
    call.state = state
    assert tick(call, NOW + 9) == []
    (record,) = tick(call, NOW + 10)
    assert record.reason == "expired"
    assert record.call_ended_at is None


def test_an_unknown_call_gets_its_followup_at_once() -> None:
    """No registry entry to hold a window: the follow-up goes out alone, immediately."""
    rules = rules_with()
    state, outputs = followups.undelivered(
        None, undelivered("r-1"), "call_ended", timestamp=NOW, rules=rules, now=NOW
    )
    assert state is None
    (record,) = emitted(outputs)
    assert record.caller is None
    assert record.cause_ids == ["r-1"]


def test_a_replay_against_the_older_state_makes_the_same_followup() -> None:
    """Decided again from the state before the results, the record is byte-identical."""
    rules = rules_with()
    first, second = hung_up(rules), hung_up(rules)
    late_results(first)
    late_results(second, now=NOW + 5)  # processed later, same records
    a, b = tick(first, NOW + 11), tick(second, NOW + 11)
    assert a == b


# -- SMS --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "consent", "expected"),
    [
        (SMS, True, None),
        (SMS, None, "no_consent"),
        (SMS, False, "no_consent"),
        ("", True, "disabled"),
        (SMS.replace("tool: {sms: true}", "tool: {}"), True, "disabled"),
        (SMS.replace("tool: {sms: true}", "tool: {sms: true, consent_field: null}"), None, None),
        (SMS + '    quiet_hours: {start: "00:00", end: "23:59"}\n', True, "quiet_hours"),
    ],
    ids=[
        "consent",
        "no consent field",
        "consent false",
        "sms off",
        "source not texted",
        "consent not asked",
        "quiet hours",
    ],
)
def test_whether_the_caller_is_texted(extra: str, consent: bool | None, expected: str) -> None:
    """SMS only where enabled, for a texted source, with consent, outside quiet hours."""
    call = hung_up(rules_with(extra), consent=consent)
    late_results(call)
    (record,) = tick(call, NOW + 10)
    assert record.sms_skipped == expected
    if expected is None:
        assert record.sms is not None
        assert (record.sms.from_, record.sms.to) == ("+15550001111", PHONE)
        block = record.sms.text.split("<<<DATA\n", 1)[1].split("\nDATA>>>", 1)[0]
        assert "status: SHIPPED" in block
        # The loyalty lookup was asked without consent: texted only where consent is not asked.
        assert ("points: 2487" in block) == (consent is None)
    else:
        assert record.sms is None


def test_a_call_without_a_known_number_is_not_texted() -> None:
    rules = rules_with(SMS.replace("tool: {sms: true}", "tool: {sms: true, consent_field: null}"))
    _, outputs = followups.undelivered(
        None, undelivered("r-1"), "call_ended", timestamp=NOW, rules=rules, now=NOW
    )
    (record,) = emitted(outputs)
    assert record.sms is None
    assert record.sms_skipped == "no_number"


def test_a_failed_lookup_is_not_texted() -> None:
    call = hung_up(rules_with(SMS), consent=True)
    call.feed(build.tool_result(CALL, "r-1", "lookup_order_status", error="backend down"))
    (record,) = tick(call, NOW + 10)
    assert record.sms_skipped == "no_consent"


def test_followups_name_only_configured_sources() -> None:
    from callstream.errors import ConfigError

    with pytest.raises(ConfigError, match=r"followups\.sources: 'billing' is not a configured"):
        app_config(CONFIG + "followups:\n  sources:\n    billing: {}\n")
    with pytest.raises(ConfigError, match="from_number is required"):
        app_config(CONFIG + "followups:\n  sms: {enabled: true}\n")
