"""Webhooks signed as Telnyx signs them, for tests and tools that play the platform."""

from __future__ import annotations

from nacl.signing import SigningKey

from devkit.emulator.webhooks import WebhookSigner


def telnyx_signature_headers(
    signing_key: SigningKey, body: bytes, *, timestamp: int
) -> dict[str, str]:
    """The headers Telnyx would send with ``body`` signed by ``signing_key`` at ``timestamp``.

    For tests and local tools that play Telnyx: generate a key with
    ``nacl.signing.SigningKey.generate()`` and give the ingress
    ``public_key_b64(key)`` as ``TELNYX_PUBLIC_KEY``.
    """
    return WebhookSigner(signing_key).headers(body, timestamp)


def public_key_b64(signing_key: SigningKey) -> str:
    """The base64 public key of ``signing_key``, as ``TELNYX_PUBLIC_KEY`` holds it."""
    return WebhookSigner(signing_key).public_key_b64
