"""The console in a real browser, on the real pipeline: a call played through it shows up live.

The reference scenario plays in a thread (emulator webhooks, tool lookups,
CRM/fraud events, a supervisor note, the hangup, a late event dead-lettered)
while headless Chromium watches the console. Updates must arrive over
Server-Sent Events: the page is loaded once and never reloaded (a marker set
on ``window`` survives). A CRM event carrying markup is shown as text.
"""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
from confluent_kafka.admin import AdminClient

from devkit.dev.pipeline import LocalPipeline
from devkit.dev.player import Outcome, ScenarioPlayer
from tests.integration.console.conftest import logged_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page

# No double quote in it: the page shows event data as JSON, which would escape one.
HOSTILE = "<img src=x onerror=alert(document.domain)><script>alert(1)</script>&amp;"
TIMEOUT_MS = 60_000


def _post_hostile_crm_event(pipeline: LocalPipeline, call_id: str) -> None:
    event = {
        "event_id": f"hostile-{uuid.uuid4().hex[:8]}",
        # A type the demo config does not inject: the scenario's own CRM messages stay as
        # they are, and the console still shows the event on the call's timeline.
        "type": "profile.viewed",
        "occurred_at": datetime.now(UTC).isoformat(),
        "call_control_id": call_id,
        "data": {"note": HOSTILE},
    }
    response = httpx.post(
        f"{pipeline.ingress_url}/events/crm",
        json=event,
        headers={"authorization": f"Bearer {pipeline.token}"},
        timeout=30,
    )
    assert response.status_code == 202, response.text


def _mark(page: Page) -> None:
    page.evaluate("window.__loadedOnce = true")


def _not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("window.__loadedOnce === true"))


def test_a_played_call_appears_fills_in_live_and_ends_with_its_dead_letter(
    browser: Browser, pipeline: LocalPipeline
) -> None:
    """Calls lists the live call; its timeline fills in as the lookups complete; the late
    event's dead letter shows its reason; a hostile CRM value is text; the call ends greyed."""
    from playwright.sync_api import expect  # the browser fixture vouches for it

    page = logged_in(browser, pipeline, pipeline.console_token)
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    _mark(page)

    played: list[Outcome] = []
    player = threading.Thread(
        target=lambda: played.append(ScenarioPlayer(pipeline.target, timeout_s=60).play()),
        name="scenario-player",
    )
    player.start()
    try:
        # The live call appears on the Calls page, without a reload.
        link = page.locator("#calls tbody tr.live a").first
        link.wait_for(timeout=TIMEOUT_MS)
        assert _not_reloaded(page)
        call_id = link.text_content() or ""
        assert call_id
        _post_hostile_crm_event(pipeline, call_id)

        link.click()
        page.wait_for_url("**/calls/**")
        _mark(page)
        delivered = page.locator('#timeline tbody tr[data-kind="delivered"]')
        at_load = delivered.count()
        # Both lookups' results reach the call after the page was loaded: over SSE.
        delivered.nth(at_load + 1).wait_for(timeout=TIMEOUT_MS)
        assert _not_reloaded(page)
        assert page.locator('#timeline tbody tr[data-kind="tool result"]').count() >= 2
    finally:
        player.join(timeout=180)
    assert played, "the scenario player did not finish"
    assert played[0].ok, played[0].problems

    # The late ticket update's dead letter, with its reason, on the call's timeline.
    dead = page.locator('#timeline tbody tr[data-kind="dead-lettered"]')
    dead.first.wait_for(timeout=TIMEOUT_MS)
    assert "call_ended" in (dead.first.text_content() or "")
    expect(page.locator("#summary [data-field=state]")).to_have_text(
        re.compile("^ended"), timeout=TIMEOUT_MS
    )
    assert _not_reloaded(page)

    # The hostile CRM value is on the page as text, and nothing it carried ran or rendered.
    event_rows = page.locator('#timeline tbody tr[data-kind="event"]')
    texts = [event_rows.nth(i).text_content() or "" for i in range(event_rows.count())]
    assert any(HOSTILE in text for text in texts), texts
    assert page.locator("#timeline img").count() == 0
    assert page.locator("#timeline script").count() == 0
    assert dialogs == []
    # Every timeline entry carries a trace column (an id once the tracing headers are there).
    assert page.locator("#timeline tbody td.trace").count() > 0

    # Dead letters: by reason and stage, with the command that re-drives it.
    page.goto(f"{pipeline.console_url}/dead-letters")
    row = page.locator("#letters tbody tr", has_text=call_id).first
    row.wait_for(timeout=TIMEOUT_MS)
    assert row.locator("td.reason").text_content() == "call_ended"
    command = row.locator("code.command").text_content() or ""
    assert command.startswith("callstream dlq replay --stage streams --reason call_ended")
    assert f"--call-id {call_id}" in command
    assert page.locator("#letters button.replay").count() == 0, "read token: no replay button"

    # Calls: the call is listed as ended (greyed).
    page.goto(f"{pipeline.console_url}/?q={call_id}")
    ended = page.locator("#calls tbody tr", has_text=call_id)
    ended.wait_for(timeout=TIMEOUT_MS)
    assert ended.get_attribute("class") == "ended"
    grey = ended.locator("td").nth(1).evaluate("cell => getComputedStyle(cell).color")
    assert grey == "rgb(156, 163, 175)"


def test_the_replay_token_dry_runs_then_replays_a_dead_letter(
    browser: Browser, pipeline: LocalPipeline
) -> None:
    """With the replay token, the button dry-runs first; only then can it replay."""
    from playwright.sync_api import expect  # the browser fixture vouches for it

    page = logged_in(browser, pipeline, pipeline.env["CALLSTREAM_CONSOLE_REPLAY_TOKEN"])
    page.goto(f"{pipeline.console_url}/dead-letters")
    button = page.locator("#letters button.replay").first
    button.wait_for(timeout=TIMEOUT_MS)
    button.click()
    line = page.locator("#replay-line")
    expect(line).to_have_text(re.compile("^would replay"), timeout=TIMEOUT_MS)
    confirm = page.locator("#replay-confirm")
    assert confirm.is_visible()
    confirm.click()
    expect(line).to_have_text(re.compile("^replayed"), timeout=TIMEOUT_MS)
    assert "->" in (line.text_content() or "")


def _calls_and_timeline(pipeline: LocalPipeline) -> tuple[list[str], list[str]]:
    """The call ids the Calls page lists, and the entry kinds of the first one's timeline."""
    headers = {"authorization": f"Bearer {pipeline.console_token}"}
    with httpx.Client(base_url=pipeline.console_url, headers=headers, timeout=30) as http:
        calls = re.findall(r'<a href="/calls/[^"]+">([^<]+)</a>', http.get("/").text)
        if not calls:
            return [], []
        page = http.get(f"/calls/{calls[0]}").text
    return calls, re.findall(r'data-kind="([^"]+)"', page)


def test_a_restarted_console_rebuilds_its_view_from_the_topics_without_a_group(
    pipeline: LocalPipeline,
) -> None:
    """No consumer group, no commit: a new process reads the look-back and shows the same."""
    if not _calls_and_timeline(pipeline)[0]:
        assert ScenarioPlayer(pipeline.target, timeout_s=60).play().ok
    before = _calls_and_timeline(pipeline)
    assert before[0]
    assert "delivered" in before[1]

    assert pipeline.stack.terminate("console") == 0
    pipeline.stack.restart("console")  # ready once it has read the topics up to their end

    assert _calls_and_timeline(pipeline) == before
    admin = AdminClient({"bootstrap.servers": pipeline.conn.bootstrap_servers})
    groups = admin.list_consumer_groups().result(timeout=30).valid
    assert not [g.group_id for g in groups if g.group_id.startswith("callstream-console")]
