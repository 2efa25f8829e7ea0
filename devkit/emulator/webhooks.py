"""Signed call-control webhooks, as the real platform sends them (pure: no I/O).

The envelope is ``{"data": {"record_type": "event", "id", "event_type",
"occurred_at", "payload": {...}}, "meta": {...}}``, the payload carrying the
call's ids, ``from``, ``to``, ``direction`` and ``state``. The signature is
ED25519 over ``"{telnyx-timestamp}|{raw body}"``, base64 in
``telnyx-signature-ed25519``, made with PyNaCl (libsodium). The emulator holds
the private key; the ingress verifies with the public one, so the signature
path is exercised for real.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from nacl.signing import SigningKey

SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"

# What each lifecycle event says about the call's state, as the platform reports it.
_STATES = {
    "call.initiated": "parked",
    "call.answered": "answered",
    "call.conversation.created": "answered",
    "call.conversation.ended": "hangup",
    "call.hangup": "hangup",
}


class WebhookSigner:
    """Signs webhook bodies with one account's ED25519 key."""

    def __init__(self, key: SigningKey) -> None:
        self._key = key

    @classmethod
    def generate(cls) -> WebhookSigner:
        return cls(SigningKey.generate())

    @classmethod
    def from_seed_b64(cls, seed_b64: str) -> WebhookSigner:
        """The signer whose 32-byte private seed is ``seed_b64`` (``ValueError`` if it is not)."""
        try:
            seed = base64.b64decode(seed_b64, validate=True)
        except binascii.Error as exc:
            raise ValueError("the signing key is not valid base64") from exc
        if len(seed) != 32:
            raise ValueError(f"the signing key decodes to {len(seed)} bytes; an ED25519 seed is 32")
        return cls(SigningKey(seed))

    @property
    def seed_b64(self) -> str:
        """The private seed, to hand to a child process (a secret)."""
        return base64.b64encode(bytes(self._key)).decode()

    @property
    def public_key_b64(self) -> str:
        """What the receiving side sets as ``TELNYX_PUBLIC_KEY``."""
        return base64.b64encode(bytes(self._key.verify_key)).decode()

    def headers(self, body: bytes, timestamp: int) -> dict[str, str]:
        """The signature headers for ``body`` sent at unix time ``timestamp``."""
        signed = self._key.sign(str(timestamp).encode() + b"|" + body)
        return {
            SIGNATURE_HEADER: base64.b64encode(signed.signature).decode(),
            TIMESTAMP_HEADER: str(timestamp),
        }


def call_event(
    event_type: str,
    *,
    call_control_id: str,
    occurred_at: datetime,
    from_number: str | None = None,
    to_number: str | None = None,
    event_id: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The webhook envelope for one lifecycle event of a call."""
    payload: dict[str, Any] = {
        "call_control_id": call_control_id,
        "call_leg_id": str(uuid.uuid5(uuid.NAMESPACE_URL, call_control_id)),
        "call_session_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, call_control_id)),
        "connection_id": "callstream-emulator",
        "from": from_number,
        "to": to_number,
        "direction": "incoming",
        "state": _STATES.get(event_type, "answered"),
    }
    if event_type == "call.hangup":
        payload |= {"hangup_cause": "normal_clearing", "hangup_source": "caller"}
    payload |= dict(extra or {})
    return {
        "data": {
            "record_type": "event",
            "id": event_id or str(uuid.uuid4()),
            "event_type": event_type,
            "occurred_at": occurred_at.isoformat().replace("+00:00", "Z"),
            "payload": payload,
        },
        "meta": {"attempt": 1, "delivered_to": "callstream"},
    }


def encode_envelope(envelope: Mapping[str, Any]) -> bytes:
    """The exact bytes sent (and signed)."""
    return json.dumps(envelope, separators=(",", ":")).encode()
