"""The messaging client: one follow-up's SMS in, the remote's reply (or the failure) out.

``POST {base}/messages`` with ``to``, ``from`` and ``text``, and the
``Idempotency-Key`` header set to the follow-up's id, exactly as the official
SDK's ``client.messages.send(to=, from_=, text=, idempotency_key=)`` sends
them (``tests/unit/injector/test_sms.py`` compares the two requests), so a
repeat after a crash or a redelivery is sent once. Like ``AddMessagesClient``
it goes through a ``Sender``, never raises for a reply or a failure, and
never retries: ``injector.texter`` decides that.

The API key never appears in a log line, an exception text or a metric.
"""

from __future__ import annotations

import json

from pydantic import SecretStr

from callstream.records import Followup
from injector.client import Sender, attempt
from injector.policy import Result


class MessagingClient:
    """Sends a follow-up's SMS through a ``Sender``."""

    def __init__(self, *, base_url: str, api_key: SecretStr, sender: Sender) -> None:
        self._url = base_url.rstrip("/") + "/messages"
        self._headers = {
            "Authorization": f"Bearer {api_key.get_secret_value()}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._sender = sender

    def __repr__(self) -> str:
        return f"MessagingClient(url={self._url!r})"  # never the key

    @staticmethod
    def body_for(followup: Followup) -> bytes:
        """The SDK's body for ``messages.send(to=, from_=, text=)``, in its field order."""
        sms = followup.sms
        if sms is None:
            raise ValueError(f"follow-up {followup.followup_id} carries no SMS")
        body = {"to": sms.to, "from": sms.from_, "text": sms.text}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    async def send(self, followup: Followup) -> Result:
        """One attempt: the remote's ``Reply``, or the ``Failure`` that stood in for one."""
        headers = {**self._headers, "Idempotency-Key": followup.followup_id}
        return await attempt(self._sender, self._url, self.body_for(followup), headers)

    async def aclose(self) -> None:
        await self._sender.aclose()
