"""Fifty calls at once, each with its own tools and events: exact transcripts, no duplicates."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from confluent_kafka import Producer

from callstream.kafka import producer_config
from callstream.records import DeadLetter
from devkit.dev import scenario
from devkit.dev.pipeline import LocalPipeline
from devkit.dev.player import Outcome, ScenarioPlayer
from devkit.emulator import EmulatorControl
from devkit.testing.kafka import consume

CALLS = 50


def test_fifty_concurrent_calls_each_get_exactly_their_messages(
    pipeline: LocalPipeline,
) -> None:
    """Every call hears its own five messages once, in order; every late event is call_ended."""
    target = pipeline.target
    producer = Producer(producer_config(target.conn, "e2e-concurrent"))
    personas = [scenario.Persona.numbered(n) for n in range(CALLS)]

    def play(persona: scenario.Persona) -> Outcome:
        player = ScenarioPlayer(
            target, persona=persona, timeout_s=180, observe=False, producer=producer
        )
        return player.play()

    with ThreadPoolExecutor(max_workers=CALLS) as pool:
        outcomes = list(pool.map(play, personas))

    assert [o.problems for o in outcomes] == [[] for _ in outcomes]
    with EmulatorControl(target.emulator_url) as control:
        transcripts = [control.transcript(o.call_control_id) for o in outcomes]
    for persona, transcript in zip(personas, transcripts, strict=True):
        texts = [entry["messages"][0]["content"] for entry in transcript["injected"]]
        assert len(texts) == 5, (persona, texts)
        assert persona.customer_id in texts[0], "the loyalty result is this caller's"
        assert persona.order_id in texts[1], "the order result is this caller's"
        assert persona.customer_id in texts[3] or "risk_score" in texts[3]
        command_ids = [entry["command_id"] for entry in transcript["injected"]]
        assert len(set(command_ids)) == 5, "no injection was applied twice"
        assert all(entry["requests"] == 1 for entry in transcript["injected"])

    calls = {o.call_control_id for o in outcomes}
    dead = consume(target.conn, [target.topics.dlq], expect=CALLS, timeout_s=120, settle_s=1.0)
    letters = [DeadLetter.from_headers(record.headers) for record in dead]
    ours = [letter for letter in letters if letter.call_control_id in calls]
    assert sorted(letter.call_control_id or "" for letter in ours) == sorted(calls)
    assert {letter.reason for letter in ours} == {"call_ended"}
