"""Verification of Telnyx webhook signatures (ED25519 over ``"{timestamp}|{raw body}"``).

The cryptography is PyNaCl's (libsodium); this module only assembles the
signed bytes and checks the timestamp window. It verifies the raw bytes as
received, before anything parses them, and never includes a signature or key
in an error message. The official SDK's helper is not used: its tolerance is
a fixed constant, it fails on a body that is not UTF-8 with an exception of
its own, and importing the SDK costs over a second per worker.
"""

from __future__ import annotations

import base64
import binascii

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from ingress.errors import WebhookSignatureError

SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"

_SIGNATURE_BYTES = 64
_KEY_BYTES = 32
_MAX_TIMESTAMP_DIGITS = 12  # unix seconds until the year 33658


class WebhookVerifier:
    """Checks one account's webhook signatures within a timestamp tolerance."""

    def __init__(self, public_key_b64: str, *, tolerance_s: int) -> None:
        try:
            raw = base64.b64decode(public_key_b64, validate=True)
        except binascii.Error as exc:
            raise ValueError("the public key is not valid base64") from exc
        if len(raw) != _KEY_BYTES:
            raise ValueError(f"the public key decodes to {len(raw)} bytes; ED25519 keys are 32")
        self._key = VerifyKey(raw)
        self._tolerance_s = tolerance_s

    def verify(
        self, body: bytes, *, signature: str | None, timestamp: str | None, now: float
    ) -> None:
        """Return if ``body`` was signed by the account at ``timestamp`` within the tolerance.

        Raises ``WebhookSignatureError`` naming what failed (a missing header, a
        timestamp outside the window, a signature that does not match).
        """
        if not signature:
            raise WebhookSignatureError(f"missing {SIGNATURE_HEADER} header")
        if not timestamp:
            raise WebhookSignatureError(f"missing {TIMESTAMP_HEADER} header")
        if not (
            timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _MAX_TIMESTAMP_DIGITS
        ):
            raise WebhookSignatureError(f"{TIMESTAMP_HEADER} is not unix seconds")
        skew = abs(now - int(timestamp))
        if skew > self._tolerance_s:
            raise WebhookSignatureError(
                f"{TIMESTAMP_HEADER} is {skew:.0f} s from now; the tolerance is "
                f"{self._tolerance_s} s"
            )
        try:
            raw_signature = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise WebhookSignatureError(f"{SIGNATURE_HEADER} is not base64") from exc
        if len(raw_signature) != _SIGNATURE_BYTES:
            raise WebhookSignatureError(f"{SIGNATURE_HEADER} is not a 64-byte ED25519 signature")
        try:
            self._key.verify(timestamp.encode("ascii") + b"|" + body, raw_signature)
        except BadSignatureError as exc:
            raise WebhookSignatureError("the signature does not match the body") from exc
