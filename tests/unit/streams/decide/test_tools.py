"""Tool result ⋈ pending request by (call id, request id), whichever arrives first."""

from __future__ import annotations

from callstream.ids import injection_id
from streams import testing as build
from streams.decide.expiry import expire
from streams.decide.outputs import Inject, RunTool
from streams.decide.rules import Rules
from tests.unit.streams.decide.test_calls import CALL, Call, known_call

ORDER = "lookup_order_status"
LOYALTY = "check_loyalty_points"


def test_results_join_their_requests_in_either_order(rules: Rules) -> None:
    """Two parallel requests answered in reverse order are each injected as they land."""
    call = known_call(rules)
    call.feed(build.tool_call(CALL, "r-2", LOYALTY, customer_id="C-1"))
    assert call.feed(build.tool_result(CALL, "r-2", LOYALTY, {"points": 2500})) == [
        "inject:tool:r-2"
    ]
    assert call.feed(build.tool_result(CALL, "r-1", ORDER, {"status": "SHIPPED"})) == [
        "inject:tool:r-1"
    ]


def test_a_result_before_its_request_waits_for_it(rules: Rules) -> None:
    """A result that overtakes its request is held, then joined when the request arrives."""
    call = known_call(rules)
    assert call.feed(build.tool_result(CALL, "r-3", LOYALTY, {"points": 10})) == []
    assert call.state is not None
    assert [held.waits for held in call.state.held] == ["request"]
    # The answer is already here, so the backend is not asked as well.
    assert call.feed(build.tool_call(CALL, "r-3", LOYALTY)) == ["inject:tool:r-3"]
    assert not call.state.held


def test_a_result_before_its_call_and_request_waits_for_both(rules: Rules) -> None:
    """Result first, then the tool call that proves the call: joined, in one step."""
    call = Call(rules)
    assert call.feed(build.tool_result(CALL, "r-1", ORDER, {"status": "SHIPPED"})) == []
    assert call.feed(build.tool_call(CALL, "r-1", ORDER, order_id="ORD-1")) == ["inject:tool:r-1"]


def test_a_tool_with_a_backend_is_run_once(rules: Rules) -> None:
    """Accepting a request for a tool with a backend asks the runner; a repeat does not."""
    call = known_call(rules)
    request = build.tool_call(CALL, "r-5", LOYALTY)
    call.feed(request)
    call.feed(request)
    runs = [o for o in call.outputs if isinstance(o, RunTool)]
    assert [(run.call_control_id, run.request_id) for run in runs] == [(CALL, "r-5")]


def test_a_result_naming_another_tool_is_refused_and_the_request_keeps_waiting(
    rules: Rules,
) -> None:
    """A mismatched result is dead-lettered; the right one still joins afterwards."""
    call = known_call(rules)
    assert call.feed(build.tool_result(CALL, "r-1", LOYALTY, {"points": 1})) == [
        "dlq:tool_mismatch"
    ]
    assert call.feed(build.tool_result(CALL, "r-1", ORDER, {"status": "LOST"})) == [
        "inject:tool:r-1"
    ]


def test_a_result_after_the_request_gave_up_is_dead_lettered(rules: Rules) -> None:
    """Past the tool's pending timeout the request stops waiting; a late result is refused."""
    call = known_call(rules)
    call.feed(build.tool_call(CALL, "r-6", LOYALTY), now=1_000.0)
    assert call.state is not None
    later = expire(call.state, CALL, rules, 1_000.0 + 61)  # check_loyalty_points waits 60 s
    call.state = later.state
    assert call.feed(build.tool_result(CALL, "r-6", LOYALTY, {"p": 1}), now=1_062.0) == [
        "dlq:request_timeout"
    ]


def test_a_failed_lookup_is_injected_as_an_honest_message(rules: Rules) -> None:
    """An error result still reaches the call, saying the lookup could not be done."""
    call = known_call(rules)
    call.feed(build.tool_result(CALL, "r-1", ORDER, error="backend timed out after 2 attempts"))
    injection = next(o.injection for o in call.outputs if isinstance(o, Inject))
    text = injection.messages[0].content
    assert text.startswith("[LOOKUP ORDER STATUS FAILED]")
    assert "The lookup could not be completed; the data below says why." in text
    assert "\nerror: backend timed out after 2 attempts\n" in text
    assert "could not look that up" in text
    assert injection.trigger_response is True


def test_the_injection_names_its_cause_and_expires(rules: Rules) -> None:
    """Injection ids come from (tool, request id); expiry is created_at plus the TTL."""
    call = known_call(rules)
    call.feed(build.tool_result(CALL, "r-1", ORDER, {"status": "SHIPPED"}), now=2_000.0)
    injection = next(o.injection for o in call.outputs if isinstance(o, Inject))
    assert injection.injection_id == injection_id("tool", "r-1")
    assert (injection.source, injection.cause_id) == ("tool", "r-1")
    assert injection.created_at.timestamp() == 2_000.0
    assert (injection.expires_at - injection.created_at).total_seconds() == 300.0
    assert injection.cause_at == build.T0
