"""Telnyx webhook signatures: ED25519 over "{timestamp}|{body}", within the tolerance."""

from __future__ import annotations

import base64

import pytest
from nacl.signing import SigningKey

from devkit.testing.webhooks import public_key_b64, telnyx_signature_headers
from ingress.errors import WebhookSignatureError
from ingress.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookVerifier

NOW = 1_800_000_000
BODY = b'{"data":{"event_type":"call.answered"}}'
KEY = SigningKey(b"\x01" * 32)
OTHER_KEY = SigningKey(b"\x02" * 32)


def _verify(body: bytes, headers: dict[str, str], *, now: float = NOW) -> None:
    verifier = WebhookVerifier(public_key_b64(KEY), tolerance_s=300)
    verifier.verify(
        body,
        signature=headers.get(SIGNATURE_HEADER),
        timestamp=headers.get(TIMESTAMP_HEADER),
        now=now,
    )


def test_a_genuine_signature_verifies() -> None:
    """The body as signed, at a current timestamp, passes."""
    _verify(BODY, telnyx_signature_headers(KEY, BODY, timestamp=NOW))


def test_raw_bytes_are_verified_even_when_not_utf8() -> None:
    """Verification is over bytes; a non-UTF-8 body is a parsing matter, not a crash."""
    body = b"\xff\xfe not utf-8"
    _verify(body, telnyx_signature_headers(KEY, body, timestamp=NOW))


@pytest.mark.parametrize("skew", [-300, 300, 0])
def test_the_tolerance_is_inclusive_both_ways(skew: int) -> None:
    """A timestamp exactly at the tolerance, either side of now, passes."""
    _verify(BODY, telnyx_signature_headers(KEY, BODY, timestamp=NOW + skew))


def _tampered_signature() -> dict[str, str]:
    headers = telnyx_signature_headers(KEY, BODY, timestamp=NOW)
    raw = bytearray(base64.b64decode(headers[SIGNATURE_HEADER]))
    raw[0] ^= 1
    return headers | {SIGNATURE_HEADER: base64.b64encode(bytes(raw)).decode()}


@pytest.mark.parametrize(
    ("body", "headers", "says"),
    [
        (BODY + b" ", telnyx_signature_headers(KEY, BODY, timestamp=NOW), "does not match"),
        (BODY, telnyx_signature_headers(OTHER_KEY, BODY, timestamp=NOW), "does not match"),
        (BODY, _tampered_signature(), "does not match"),
        (BODY, telnyx_signature_headers(KEY, BODY, timestamp=NOW - 301), "tolerance"),
        (BODY, telnyx_signature_headers(KEY, BODY, timestamp=NOW + 301), "tolerance"),
        (
            BODY,
            telnyx_signature_headers(KEY, BODY, timestamp=NOW) | {TIMESTAMP_HEADER: str(NOW + 1)},
            "does not match",
        ),
        (BODY, {TIMESTAMP_HEADER: str(NOW)}, f"missing {SIGNATURE_HEADER}"),
        (
            BODY,
            telnyx_signature_headers(KEY, BODY, timestamp=NOW) | {TIMESTAMP_HEADER: ""},
            "missing",
        ),
        (BODY, {SIGNATURE_HEADER: "x", TIMESTAMP_HEADER: "12.5"}, "not unix seconds"),
        (BODY, {SIGNATURE_HEADER: "x", TIMESTAMP_HEADER: "-17"}, "not unix seconds"),
        (BODY, {SIGNATURE_HEADER: "not base64!", TIMESTAMP_HEADER: str(NOW)}, "not base64"),
        (BODY, {SIGNATURE_HEADER: "c2hvcnQ=", TIMESTAMP_HEADER: str(NOW)}, "64-byte"),
        (BODY, {SIGNATURE_HEADER: "zé", TIMESTAMP_HEADER: str(NOW)}, "not base64"),
    ],
)
def test_forgeries_and_replays_are_refused(body: bytes, headers: dict[str, str], says: str) -> None:
    """Changed body, other key, flipped bit, stale or future timestamp, bad headers: refused."""
    with pytest.raises(WebhookSignatureError, match=says) as caught:
        _verify(body, headers)
    signature = headers.get(SIGNATURE_HEADER)
    if signature and len(signature) > 8:
        assert signature not in str(caught.value), "a signature is never echoed"


@pytest.mark.parametrize("key", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_public_key_is_refused_when_built(key: str) -> None:
    """A key that is not 32 bytes of base64 fails at start, not on the first webhook."""
    with pytest.raises(ValueError, match="public key"):
        WebhookVerifier(key, tolerance_s=300)
