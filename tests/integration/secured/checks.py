"""What every secured pipeline test proves: a tool result reaches the call, and the call's
dead letter is replayed by ``callstream dlq replay`` (both through the secured listener)."""

from __future__ import annotations

from devkit.dev import scenario
from devkit.dev.pipeline import LocalPipeline
from devkit.dev.player import ScenarioPlayer
from devkit.emulator import EmulatorControl
from devkit.testing.polling import wait_until
from tests.integration.secured.conftest import run_cli


def a_tool_result_reaches_the_call_and_its_dead_letter_replays(pipeline: LocalPipeline) -> None:
    persona = scenario.Persona.numbered(7)
    outcome = ScenarioPlayer(pipeline.target, persona=persona, timeout_s=120, observe=False).play()
    assert outcome.problems == []
    with EmulatorControl(pipeline.target.emulator_url) as control:
        transcript = control.transcript(outcome.call_control_id)
    texts = [entry["messages"][0]["content"] for entry in transcript["injected"]]
    assert texts, transcript
    assert persona.customer_id in texts[0], texts  # the loyalty tool's result

    call = outcome.call_control_id
    admin = pipeline.env  # the operator's credentials (the services' base environment)
    wait_until(
        lambda: "would replay" in run_cli(admin, "dlq", "replay", "--call-id", call).stdout,
        timeout_s=60,
        what="the call's late event dead-lettered",
    )
    done = run_cli(admin, "dlq", "replay", "--call-id", call, "--execute")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "replayed 1" in done.stdout, done.stdout
