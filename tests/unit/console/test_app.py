"""The console's HTTP side: access, escaping, live updates and the replay guard."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial

import httpx
import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from callstream.config import ConsoleConfig
from callstream.kafka import KafkaConnection
from console.access import COOKIE, Access, session_value
from console.app import create_app
from console.replay import Replayer
from console.routes.live import _stream
from console.state import Console
from console.testing import T0
from console.view import rows
from tests.unit.console.boards import board_with

READ = "read-token-0123456789"
REPLAY = "replay-token-0123456789"
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>&amp;'
CALL = "v3:call-1"


class StillFollower:
    """A follower that has read everything there is (the board is filled by the test)."""

    def __init__(self) -> None:
        self.caught_up = threading.Event()
        self.caught_up.set()
        self.failure: str | None = None
        self.started = False

    def start(self) -> None:
        self.started = True

    def stop(self, timeout_s: float = 10.0) -> None:
        self.started = False


def make_console(replayer: Replayer | None = None) -> Console:
    board = board_with(ConsoleConfig(), CALL, crm_note=HOSTILE)
    return Console(
        board=board,
        lock=threading.Lock(),
        access=Access(SecretStr(READ), SecretStr(REPLAY)),
        follower=StillFollower(),
        registry=CollectorRegistry(),
        clock=lambda: T0 + timedelta(seconds=10),
        replayer=replayer,
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(make_console()))
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", ["/", f"/calls/{CALL}", "/dead-letters"])
async def test_pages_without_a_token_send_to_the_login_page(
    client: httpx.AsyncClient, path: str
) -> None:
    """No token, a wrong one, or a cookie made up: the login page."""
    assert (await client.get(path)).headers["location"] == "/login"
    assert (await client.get(path, headers=bearer("wrong"))).status_code == 303
    client.cookies.set(COOKIE, "0" * 64)
    assert (await client.get(path)).status_code == 303


async def test_streams_without_a_token_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get("/events/calls")).status_code == 401


async def test_logging_in_sets_a_cookie_derived_from_the_token_not_the_token(
    client: httpx.AsyncClient,
) -> None:
    """The cookie opens the pages; it is an HMAC of the token."""
    refused = await client.post("/login", content=b"token=nope", headers=_form())
    assert refused.status_code == 401
    response = await client.post("/login", content=f"token={READ}".encode(), headers=_form())
    assert response.status_code == 303
    cookie = response.cookies[COOKIE]
    assert READ not in cookie
    assert cookie == session_value(SecretStr(READ))
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie
    assert "samesite=strict" in set_cookie
    assert (await client.get("/")).status_code == 200


def _form() -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("path", ["/", f"/calls/{CALL}", "/dead-letters"])
async def test_pages_render_values_from_topics_as_text(
    client: httpx.AsyncClient, path: str
) -> None:
    """A hostile CRM value is escaped; no inline script is allowed by the policy either."""
    response = await client.get(path, headers=bearer(READ))
    assert response.status_code == 200
    assert "<script>alert" not in response.text
    assert "<img src=x" not in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


async def test_the_call_page_shows_the_hostile_value_escaped(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/calls/{CALL}", headers=bearer(READ))
    assert "CRM update: &lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in response.text


async def test_the_call_stream_sends_the_timeline_as_json_rows() -> None:
    """The first event is the whole timeline; values stay plain strings for textContent."""
    console = make_console()
    events = _stream(console, partial(rows.call_page, call_id=CALL))
    first = await anext(aiter(events))
    await events.aclose()
    assert first.event == "update"
    texts = [entry["text"] for entry in first.data["detail"]["entries"]]
    assert f"CRM update: {HOSTILE}" in texts


async def test_replay_needs_the_replay_token_and_json() -> None:
    """A read token may not replay; a form post is refused (no cross-site posting). The
    console can replay (it has a replayer, which neither request reaches)."""
    unreachable = Replayer(KafkaConnection(bootstrap_servers="127.0.0.1:1"), "dlq")
    transport = httpx.ASGITransport(app=create_app(make_console(unreachable)))
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
        path = "/dead-letters/0/0/replay"
        assert (await client.post(path, json={}, headers=bearer(READ))).status_code == 403
        form = await client.post(path, content=b"confirm=x", headers=bearer(REPLAY) | _form())
        assert form.status_code == 415


async def test_the_replay_button_shows_only_for_the_replay_token(client: httpx.AsyncClient) -> None:
    assert 'class="replay"' not in (await client.get("/dead-letters", headers=bearer(READ))).text
    assert 'class="replay"' in (await client.get("/dead-letters", headers=bearer(REPLAY))).text


async def test_probes_answer_without_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).text == "ready"
    assert (await client.get("/metrics")).status_code == 200
