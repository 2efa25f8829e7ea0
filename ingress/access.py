"""Who may call what: bearer tokens compared in constant time, and the start-up warnings.

Pure functions. A missing configured token matches nothing, so an endpoint
whose token was never set refuses every caller rather than admitting all of
them; ``access_warnings`` lists every endpoint left open or shut so the
service can say so loudly at start. Never log, echo or ``==``-compare a token.
"""

from __future__ import annotations

import hmac

from pydantic import SecretStr

from callstream.settings import Settings
from ingress.errors import RequestRejected

_SCHEME = "bearer"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or ``None`` if there is none."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != _SCHEME or not token:
        return None
    return token


def token_matches(presented: str | None, expected: SecretStr | None) -> bool:
    """Whether ``presented`` is the configured token; always false when none is configured."""
    if presented is None or expected is None:
        return False
    # compare_digest takes time independent of where the first difference is;
    # bytes, because it refuses non-ASCII str.
    return hmac.compare_digest(
        presented.encode("utf-8", "surrogateescape"),
        expected.get_secret_value().encode("utf-8", "surrogateescape"),
    )


def require_token(presented: str | None, expected: SecretStr | None, *, endpoint: str) -> None:
    """Return if ``presented`` is the configured token; otherwise a 401 ``RequestRejected``."""
    if token_matches(presented, expected):
        return
    if expected is None:
        detail = f"{endpoint} accepts no requests: no token is configured for it"
    elif presented is None:
        detail = "missing credentials: send Authorization: Bearer <token>"
    else:
        detail = "the bearer token is not valid"
    raise RequestRejected(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def access_warnings(settings: Settings) -> list[str]:
    """Every endpoint that is open to anyone, or closed to everyone, with what to set."""
    warnings = []
    ingress_token = settings.env.callstream_ingress_token
    if ingress_token is None:
        warnings.append(
            "CALLSTREAM_INGRESS_TOKEN is not set: POST /tools/* accepts requests without "
            "credentials, and POST /calls/*/messages refuses every request"
        )
    for source in sorted(settings.config.sources):
        if source not in settings.source_tokens:
            env = settings.config.sources[source].token_env or "CALLSTREAM_INGRESS_TOKEN"
            warnings.append(
                f"no token for source {source!r} ({env} is not set): "
                f"POST /events/{source} refuses every request"
            )
    if not settings.config.ingress.verify_signatures:
        warnings.append(
            "WEBHOOK SIGNATURE VERIFICATION IS DISABLED (ingress.verify_signatures: false): "
            "anyone who can reach POST /webhooks/telnyx can forge call events; "
            "never run this way in production"
        )
    elif settings.env.telnyx_public_key is None:
        warnings.append(
            "TELNYX_PUBLIC_KEY is not set: POST /webhooks/telnyx refuses every webhook (401)"
        )
    return warnings
