"""Webhooks the emulator sends are shaped like the platform's and verifiably signed."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from devkit.emulator.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookSigner,
    call_event,
    encode_envelope,
)

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _verify(public_key_b64: str, headers: dict[str, str], body: bytes) -> None:
    key = VerifyKey(base64.b64decode(public_key_b64))
    signed = headers[TIMESTAMP_HEADER].encode() + b"|" + body
    key.verify(signed, base64.b64decode(headers[SIGNATURE_HEADER]))


def test_signature_verifies_with_the_public_key() -> None:
    """ED25519 over "{timestamp}|{body}", checkable with nothing but the public key."""
    signer = WebhookSigner.generate()
    body = encode_envelope(call_event("call.initiated", call_control_id="v3:a", occurred_at=AT))
    headers = signer.headers(body, 1_795_000_000)
    _verify(signer.public_key_b64, headers, body)
    with pytest.raises(BadSignatureError):
        _verify(signer.public_key_b64, headers, body + b" ")
    with pytest.raises(BadSignatureError):
        _verify(WebhookSigner.generate().public_key_b64, headers, body)


def test_seed_round_trip() -> None:
    """A signer rebuilt from its seed (as a child process does) has the same public key."""
    signer = WebhookSigner.generate()
    assert WebhookSigner.from_seed_b64(signer.seed_b64).public_key_b64 == signer.public_key_b64


@pytest.mark.parametrize("seed", ["%%%", base64.b64encode(b"short").decode()])
def test_bad_seeds_are_refused(seed: str) -> None:
    """A seed that is not 32 base64 bytes is a clear error."""
    with pytest.raises(ValueError, match="signing key"):
        WebhookSigner.from_seed_b64(seed)


@pytest.mark.parametrize(
    ("event_type", "state"),
    [("call.initiated", "parked"), ("call.answered", "answered"), ("call.hangup", "hangup")],
)
def test_envelope_carries_what_the_ingress_reads(event_type: str, state: str) -> None:
    """data.event_type, data.id, data.occurred_at and the payload's call id, from and to."""
    envelope = call_event(
        event_type, call_control_id="v3:a", occurred_at=AT,
        from_number="+15551230000", to_number="+15559870000", event_id="e-1",
    )  # fmt: skip
    data = json.loads(encode_envelope(envelope))["data"]
    assert (data["event_type"], data["id"], data["occurred_at"]) == (
        event_type, "e-1", "2026-11-23T12:00:00Z",
    )  # fmt: skip
    payload = data["payload"]
    assert (payload["call_control_id"], payload["from"], payload["to"]) == (
        "v3:a", "+15551230000", "+15559870000",
    )  # fmt: skip
    assert payload["state"] == state
    assert ("hangup_cause" in payload) is (event_type == "call.hangup")
