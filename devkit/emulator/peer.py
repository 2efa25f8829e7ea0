"""The emulator's side of talking *to* the ingress: signed webhooks, and the assistant's tools.

The real platform does two things callstream must survive: it POSTs signed
call-control webhooks (retrying a failed delivery), and the AI assistant POSTs
async webhook tools with ``x-telnyx-call-control-id``. ``IngressPeer`` says
where the ingress is (plain, picklable configuration for a child process);
``PeerClient`` does the talking. Retries honour ``Retry-After`` and stop on
an answer that a retry cannot change (a 4xx other than 429).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from devkit.emulator.webhooks import WebhookSigner, encode_envelope

CALL_CONTROL_ID_HEADER = "x-telnyx-call-control-id"
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class IngressPeer:
    """Where the ingress listens and how to be let in."""

    url: str
    """The ingress root, e.g. ``http://127.0.0.1:8000``."""
    signing_seed_b64: str
    """Private ED25519 seed the webhooks are signed with (a secret)."""
    token: str | None = None
    """Bearer token for ``/tools`` when the ingress requires one."""
    attempts: int = 5
    """How many times a webhook or tool call is tried before the emulator gives up."""


@dataclass(frozen=True)
class Sent:
    """The ingress's final answer to one webhook or tool call."""

    status: int
    attempts: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _wait_s(response: httpx.Response | None, attempt: int) -> float:
    told: str | None = response.headers.get("retry-after") if response is not None else None
    if told is not None:
        try:
            return min(30.0, max(0.0, float(told)))
        except ValueError:
            pass
    return min(8.0, 0.25 * 2.0 ** (attempt - 1))


def _retryable(response: httpx.Response) -> bool:
    return response.status_code == 429 or response.status_code >= 500


class PeerClient:
    """Sends to one ingress; create inside the event loop that will use it."""

    def __init__(self, peer: IngressPeer, *, client: httpx.AsyncClient | None = None) -> None:
        self.peer = peer
        self.signer = WebhookSigner.from_seed_b64(peer.signing_seed_b64)
        self._http = client or httpx.AsyncClient(base_url=peer.url, timeout=10.0)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _post(self, path: str, body: bytes, headers: Callable[[], Mapping[str, str]]) -> Sent:
        """POST until an answer a retry cannot change; ``headers`` is rebuilt per attempt."""
        response: httpx.Response | None = None
        for attempt in range(1, self.peer.attempts + 1):
            try:
                response = await self._http.post(path, content=body, headers=dict(headers()))
            except httpx.TransportError:
                response = None
            else:
                if not _retryable(response):
                    return Sent(response.status_code, attempt, _json(response))
            if attempt < self.peer.attempts:
                await asyncio.sleep(_wait_s(response, attempt))  # the platform's retry backoff
        if response is None:
            return Sent(0, self.peer.attempts, {"error": "unreachable", "detail": self.peer.url})
        return Sent(response.status_code, self.peer.attempts, _json(response))

    async def send_webhook(self, envelope: Mapping[str, Any]) -> Sent:
        """POST one signed webhook to ``/webhooks/telnyx``, signed afresh on every attempt."""
        body = encode_envelope(envelope)

        def headers() -> dict[str, str]:
            signed = self.signer.headers(body, int(time.time()))
            return {"content-type": "application/json"} | signed

        return await self._post("/webhooks/telnyx", body, headers)

    async def fire_tool(
        self, call_control_id: str, tool: str, arguments: Mapping[str, Any]
    ) -> Sent:
        """Play the assistant: POST ``/tools/{tool}`` with the call id header and the arguments.

        A retry carries the same ``Idempotency-Key``, so it cannot become a second request.
        """
        headers = {
            "content-type": "application/json",
            CALL_CONTROL_ID_HEADER: call_control_id,
            IDEMPOTENCY_HEADER: str(uuid.uuid4()),
        }
        if self.peer.token:
            headers["authorization"] = f"Bearer {self.peer.token}"
        body = encode_envelope(dict(arguments))
        return await self._post(f"/tools/{tool}", body, lambda: headers)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"text": response.text[:500]}
