"""Source events without a call id, resolved through the correlation index key by key."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from streams.correlation import resolve as correlation
from streams.correlation.index import IndexEntry
from streams.correlation.route import Route
from streams.decide.outputs import IndexOp, IndexUpdate, Output
from streams.decide.rules import Rules
from streams.state.held import Origin
from tests.unit.streams.conftest import summaries

PHONE = "phone:+15551230000"
CUSTOMER = "customer:C-42"
RAW = b'{"event_id":"E-1"}'
ORIGIN = Origin("crm.events", 3, 17, 1.0, "crm")
NOW = 1_000.0


@dataclass
class Index:
    """The index entries of every key, with every output, as the batch would keep them."""

    rules: Rules
    entries: dict[str, IndexEntry] = field(default_factory=dict)
    outputs: list[Output] = field(default_factory=list)

    def _store(self, key: str, decision: correlation.IndexDecision) -> list[str]:
        if decision.entry is None:
            self.entries.pop(key, None)
        else:
            self.entries[key] = decision.entry
        self.outputs.extend(decision.outputs)
        return summaries(decision.outputs)

    def update(self, key: str, call: str, op: IndexOp, now: float = NOW) -> list[str]:
        change = IndexUpdate(key, call, op)
        return self._store(key, correlation.update(self.entries.get(key), change, now))

    def resolve(self, route: Route, now: float = NOW) -> list[str]:
        decision = correlation.resolve(self.entries.get(route.key), route, RAW, ORIGIN, now)
        return self._store(route.key, decision)

    def tick(self, key: str, now: float) -> list[str]:
        return self._store(key, correlation.expire(self.entries[key], self.rules, now))


@pytest.fixture
def index(rules: Rules) -> Index:
    return Index(rules)


def test_an_event_goes_to_every_live_call_with_its_key(index: Index) -> None:
    """A live call under the key gets the event under its own call id; two calls get it twice."""
    index.update(PHONE, "v3:a", "add")
    index.update(PHONE, "v3:b", "add", now=NOW + 1)
    assert index.resolve(Route((PHONE,))) == ["to-call:v3:a", "to-call:v3:b"]


def test_the_next_key_is_tried_when_the_first_has_no_live_call(index: Index) -> None:
    """A customer calling from another number is still found by customer id."""
    index.update(CUSTOMER, "v3:a", "add")
    route = Route((PHONE, CUSTOMER))
    assert index.resolve(route) == [f"to-key:{CUSTOMER}:probe"]
    assert index.resolve(Route((PHONE, CUSTOMER), hop=1)) == ["to-call:v3:a"]


def test_an_event_before_its_call_is_held_under_its_first_key(index: Index) -> None:
    """No key has a live call: back to the first key, held, delivered when the call appears."""
    assert index.resolve(Route((PHONE, CUSTOMER), hop=1)) == [f"to-key:{PHONE}:hold"]
    assert index.resolve(Route((PHONE, CUSTOMER), hop=0, phase="hold")) == []
    assert len(index.entries[PHONE].held) == 1
    assert index.update(PHONE, "v3:a", "add") == ["to-call:v3:a"]
    assert not index.entries[PHONE].held


def test_a_single_key_event_is_held_where_it_is(index: Index) -> None:
    """With one key there is nowhere else to look: it waits there."""
    assert index.resolve(Route((CUSTOMER,))) == []
    assert index.update(CUSTOMER, "v3:a", "add") == ["to-call:v3:a"]


def test_a_held_event_takes_a_final_pass_then_is_dead_lettered(index: Index) -> None:
    """After the grace period the other keys are tried once more, then unknown_call."""
    index.resolve(Route((PHONE, CUSTOMER), phase="hold"))
    assert index.tick(PHONE, NOW + 29) == []
    assert index.tick(PHONE, NOW + 30) == [f"to-key:{CUSTOMER}:final"]
    assert index.resolve(Route((PHONE, CUSTOMER), hop=1, phase="final")) == ["dlq:unknown_call"]
    assert PHONE not in index.entries


def test_the_final_pass_finds_a_call_known_meanwhile_by_another_key(index: Index) -> None:
    """A call that learnt the customer id during the grace still gets the event, late."""
    index.resolve(Route((PHONE, CUSTOMER), phase="hold"))
    index.update(CUSTOMER, "v3:a", "add", now=NOW + 5)
    assert index.tick(PHONE, NOW + 30) == [f"to-key:{CUSTOMER}:final"]
    assert index.resolve(Route((PHONE, CUSTOMER), hop=1, phase="final")) == ["to-call:v3:a"]


def test_an_event_for_a_customer_whose_call_ended_is_call_ended(index: Index) -> None:
    """An ended call under the key (and none live) makes the reason call_ended."""
    index.update(PHONE, "v3:a", "add")
    index.update(PHONE, "v3:a", "end", now=NOW + 1)
    assert index.resolve(Route((PHONE,))) == ["dlq:call_ended"]
    dead = index.outputs[-1]
    assert getattr(dead, "call_control_id", None) == "v3:a"


def test_an_ended_call_is_never_made_live_again(index: Index) -> None:
    """A late 'add' for a call the index knows has ended changes nothing."""
    index.update(PHONE, "v3:a", "end")
    index.update(PHONE, "v3:a", "add")
    assert index.entries[PHONE].live_calls == []


def test_ended_calls_leave_the_index_after_the_retention(index: Index) -> None:
    """The entry of a long-ended call is deleted, so the index stays bounded."""
    index.update(PHONE, "v3:a", "end")
    assert correlation.next_deadline(index.entries[PHONE], index.rules) == NOW + 3_600
    index.tick(PHONE, NOW + 3_600)
    assert PHONE not in index.entries
    index.update(CUSTOMER, "v3:b", "add")
    index.update(CUSTOMER, "v3:b", "remove")
    assert CUSTOMER not in index.entries
