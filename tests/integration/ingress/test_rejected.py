"""Every rejection: the right status, a JSON error body, and nothing on any topic.

Each case runs against one ready ingress on the real broker; the topics'
end offsets are read before and after. A rejected request that published
anyway would show there, because a publish completes (is acknowledged)
before any response is sent.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from nacl.signing import SigningKey

from devkit.testing.webhooks import telnyx_signature_headers
from tests.integration.ingress.conftest import CRM_TOKEN, SIGNING_KEY, TOKEN, RunningIngress

AUTH = {"authorization": f"Bearer {TOKEN}"}
JSON = {"content-type": "application/json"}
CALL = {"x-telnyx-call-control-id": "v3:call-1"}
WEBHOOK = json.dumps(
    {"data": {"id": "e-1", "event_type": "call.answered", "payload": {"call_control_id": "v3:c"}}}
).encode()


def _signed(body: bytes, *, age_s: int = 0, key: SigningKey = SIGNING_KEY) -> dict[str, str]:
    return JSON | telnyx_signature_headers(key, body, timestamp=int(time.time()) - age_s)


def _replayed(body: bytes) -> dict[str, str]:
    """A signature captured ten minutes ago, resent with a fresh timestamp header."""
    old = _signed(body, age_s=600)
    return old | {"telnyx-timestamp": str(int(time.time()))}


# path, headers, body, status, error code
# A signed case's headers are made when its test runs, not at import: a timestamp taken at
# collection would drift out of (or into) the tolerance before a long suite reaches it.
Headers = dict[str, str] | Callable[[], dict[str, str]]

CASES: dict[str, tuple[str, Headers, bytes, int, str]] = {
    "tool without call id header": ("/tools/t", AUTH | JSON, b"{}", 400, "missing_header"),
    "tool body not JSON": ("/tools/t", AUTH | JSON | CALL, b"order=1", 400, "invalid_json"),
    "tool body a JSON array": ("/tools/t", AUTH | JSON | CALL, b"[1, 2]", 400, "not_an_object"),
    "tool body empty": ("/tools/t", AUTH | JSON | CALL, b"", 400, "missing_body"),
    "tool body over the limit": (
        "/tools/t",
        AUTH | JSON | CALL,
        b'{"x": "' + b"a" * 70_000 + b'"}',
        413,
        "body_too_large",
    ),
    "tool body as a form": (
        "/tools/t",
        AUTH | CALL | {"content-type": "application/x-www-form-urlencoded"},
        b"{}",
        415,
        "unsupported_media_type",
    ),
    "tool without token": ("/tools/t", JSON | CALL, b"{}", 401, "unauthorized"),
    "tool with a wrong token": (
        "/tools/t",
        {"authorization": "Bearer nope"} | JSON | CALL,
        b"{}",
        401,
        "unauthorized",
    ),
    "tool call id with a slash": (
        "/tools/t",
        AUTH | JSON | {"x-telnyx-call-control-id": "v3:a/b"},
        b"{}",
        400,
        "invalid_call_control_id",
    ),
    "tool call id with dot-dot": (
        "/tools/t",
        AUTH | JSON | {"x-telnyx-call-control-id": "v3:..a"},
        b"{}",
        400,
        "invalid_call_control_id",
    ),
    "tool call id with a control character": (
        "/tools/t",
        AUTH | JSON | {"x-telnyx-call-control-id": "v3:a\tb"},
        b"{}",
        400,
        "invalid_call_control_id",
    ),
    "tool call id not ASCII": (
        "/tools/t",
        AUTH | JSON | {"x-telnyx-call-control-id": "v3:caf\xe9"},
        b"{}",
        400,
        "invalid_call_control_id",
    ),
    "tool call id too long": (
        "/tools/t",
        AUTH | JSON | {"x-telnyx-call-control-id": "v3:" + "a" * 300},
        b"{}",
        400,
        "invalid_call_control_id",
    ),
    "tool call id of 10 KB": (
        "/tools/t",
        AUTH | JSON | {"x-telnyx-call-control-id": "v3:" + "a" * 10_240},
        b"{}",
        400,
        "invalid_call_control_id",
    ),
    "webhook unsigned": ("/webhooks/telnyx", JSON, WEBHOOK, 401, "invalid_signature"),
    "webhook signed for another body": (
        "/webhooks/telnyx",
        lambda: _signed(WEBHOOK + b" "),
        WEBHOOK,
        401,
        "invalid_signature",
    ),
    "webhook signed ten minutes ago": (
        "/webhooks/telnyx",
        lambda: _signed(WEBHOOK, age_s=600),
        WEBHOOK,
        401,
        "invalid_signature",
    ),
    "webhook signed by another key": (
        "/webhooks/telnyx",
        lambda: _signed(WEBHOOK, key=SigningKey.generate()),
        WEBHOOK,
        401,
        "invalid_signature",
    ),
    "webhook replayed with a new timestamp": (
        "/webhooks/telnyx",
        lambda: _replayed(WEBHOOK),
        WEBHOOK,
        401,
        "invalid_signature",
    ),
    "webhook signed ten minutes ahead": (
        "/webhooks/telnyx",
        lambda: _signed(WEBHOOK, age_s=-600),
        WEBHOOK,
        401,
        "invalid_signature",
    ),
    "event from an unknown source": (
        "/events/billing",
        {"authorization": f"Bearer {CRM_TOKEN}"} | JSON,
        b"{}",
        404,
        "unknown_source",
    ),
    "event with a wrong token": (
        "/events/crm",
        AUTH | JSON,
        b'{"event_id": "e", "type": "t", "call_control_id": "v3:c"}',
        401,
        "unauthorized",
    ),
    "event that cannot be routed": (
        "/events/crm",
        {"authorization": f"Bearer {CRM_TOKEN}"} | JSON,
        b'{"event_id": "e", "type": "t"}',
        400,
        "schema",
    ),
    "supervisor without token": (
        "/calls/v3:c/messages",
        JSON,
        b'{"content": "x"}',
        401,
        "unauthorized",
    ),
    "supervisor call id with an encoded slash": (
        "/calls/v3:a%2Fb/messages",
        AUTH | JSON,
        b'{"content": "x"}',
        400,
        "invalid_call_control_id",
    ),
    "supervisor call id with dot-dot": (
        "/calls/v3:a..b/messages",
        AUTH | JSON,
        b'{"content": "x"}',
        400,
        "invalid_call_control_id",
    ),
    "supervisor call id with a control character": (
        "/calls/v3:a%01b/messages",
        AUTH | JSON,
        b'{"content": "x"}',
        400,
        "invalid_call_control_id",
    ),
    "supervisor call id with a fullwidth solidus": (
        "/calls/v3:a%EF%BC%8Fb/messages",
        AUTH | JSON,
        b'{"content": "x"}',
        400,
        "invalid_call_control_id",
    ),
    "supervisor call id with an encoded CR": (
        "/calls/v3:a%0DX-Injected:%201/messages",
        AUTH | JSON,
        b'{"content": "x"}',
        400,
        "invalid_call_control_id",
    ),
    # A line feed never matches a route: the router answers 404 before any handler runs.
    "supervisor call id with an encoded CR/LF": (
        "/calls/v3:a%0D%0AX-Injected:%201/messages",
        AUTH | JSON,
        b'{"content": "x"}',
        404,
        "not_found",
    ),
    "supervisor call id of 10 KB": (
        "/calls/v3:" + "a" * 10_240 + "/messages",
        AUTH | JSON,
        b'{"content": "x"}',
        400,
        "invalid_call_control_id",
    ),
    "supervisor message without content": (
        "/calls/v3:c/messages",
        AUTH | JSON,
        b'{"role": "system"}',
        400,
        "schema",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_rejected_request_publishes_nothing(ingress: RunningIngress, case: str) -> None:
    """The documented status and error code, as JSON, and no record on any ingress topic."""
    path, made, body, status, code = CASES[case]
    headers = made() if callable(made) else made
    before = ingress.published()
    # Header values travel as latin-1 octets, as a real client would send them.
    raw_headers = {name: value.encode("latin-1") for name, value in headers.items()}
    response = httpx.post(f"{ingress.url}{path}", content=body, headers=raw_headers, timeout=30)
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()
    assert error["error"] == code
    assert error["detail"]
    assert TOKEN not in response.text
    assert ingress.published() == before


def test_the_sentinel_shows_publishes_would_be_seen(ingress: RunningIngress) -> None:
    """The counter the rejections rely on does move for an accepted request."""
    before = ingress.published()
    response = httpx.post(f"{ingress.url}/tools/t", content=b"{}", headers=AUTH | JSON | CALL)
    assert response.status_code == 202
    assert ingress.published() == before + 1


def test_malformed_http_is_refused_by_the_server(ingress: RunningIngress) -> None:
    """A header the HTTP parser refuses (DEL in a value) never reaches the app: 400, nothing."""
    before = ingress.published()
    response = httpx.post(
        f"{ingress.url}/tools/t",
        content=b"{}",
        headers=AUTH | JSON | {"x-telnyx-call-control-id": b"v3:a\x7fb"},
    )
    assert response.status_code == 400
    assert ingress.published() == before


def test_a_bare_carriage_return_in_a_header_is_refused_by_the_server(
    ingress: RunningIngress,
) -> None:
    """A CR inside the call id header (sent raw: clients refuse to) is a 400, nothing published."""
    before = ingress.published()
    host, port = ingress.url.removeprefix("http://").split(":")
    request = (
        b"POST /tools/t HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {TOKEN}\r\n".encode()
        + b"x-telnyx-call-control-id: v3:a\rb\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    )
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(request)
        status_line = conn.makefile("rb").readline()
    assert status_line.split()[1] == b"400", status_line
    assert ingress.published() == before
