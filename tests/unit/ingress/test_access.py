"""Bearer tokens match only the configured value, and open or shut endpoints are announced."""

from __future__ import annotations

import hmac

import pytest
from pydantic import SecretStr

from ingress import access
from ingress.access import access_warnings, bearer_token, require_token, token_matches
from ingress.errors import RequestRejected
from tests.ingress_support import make_settings


@pytest.mark.parametrize(
    ("presented", "expected", "matches"),
    [
        ("s3cret-token", SecretStr("s3cret-token"), True),
        ("s3cret-tokeN", SecretStr("s3cret-token"), False),
        ("s3cret-token ", SecretStr("s3cret-token"), False),
        ("", SecretStr("s3cret-token"), False),
        (None, SecretStr("s3cret-token"), False),
        ("anything", None, False),
        (None, None, False),
        ("jeton-été", SecretStr("jeton-été"), True),
    ],
)
def test_token_matches_only_the_configured_token(
    presented: str | None, expected: SecretStr | None, matches: bool
) -> None:
    """Exact match only; no configured token matches nothing, not even an absent one."""
    assert token_matches(presented, expected) is matches


def test_every_token_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens are compared with ``hmac.compare_digest`` over the whole value, never with ``==``."""
    seen: list[tuple[bytes, bytes]] = []
    compare = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(access.hmac, "compare_digest", spy)
    assert token_matches("wrong-token", SecretStr("s3cret-token")) is False
    assert token_matches("s3cret-token", SecretStr("s3cret-token")) is True
    assert seen == [(b"wrong-token", b"s3cret-token"), (b"s3cret-token", b"s3cret-token")]


@pytest.mark.parametrize(
    ("presented", "expected", "says"),
    [
        (None, SecretStr("s3cret-token"), "missing credentials"),
        ("wrong-token", SecretStr("s3cret-token"), "not valid"),
        ("s3cret-token", None, "no token is configured"),
    ],
)
def test_refusals_are_401_and_never_echo_a_token(
    presented: str | None, expected: SecretStr | None, says: str
) -> None:
    """Each refusal says why, asks for Bearer, and repeats neither token."""
    with pytest.raises(RequestRejected) as caught:
        require_token(presented, expected, endpoint="POST /x")
    rejected = caught.value
    assert (rejected.status, rejected.code) == (401, "unauthorized")
    assert says in rejected.detail
    assert rejected.headers == {"WWW-Authenticate": "Bearer"}
    assert "s3cret-token" not in rejected.detail
    assert "wrong-token" not in rejected.detail


def test_a_fully_configured_service_warns_about_nothing() -> None:
    """Token, source tokens and public key set, verification on: no warning."""
    settings = make_settings(
        ingress_token="tok-123456",
        public_key="A" * 43 + "=",
        source_tokens={"crm": "crm-123456"},
        config={"sources": {"crm": {"topic": "crm.events"}}},
    )
    assert access_warnings(settings) == []


def test_every_open_or_shut_endpoint_is_named() -> None:
    """No tokens, no key: /tools open, supervisor and sources shut, webhooks shut."""
    settings = make_settings(config={"sources": {"crm": {"topic": "c", "token_env": "CRM_T"}}})
    warnings = "\n".join(access_warnings(settings))
    assert "POST /tools/* accepts requests without credentials" in warnings
    assert "POST /calls/*/messages refuses every request" in warnings
    assert "CRM_T is not set" in warnings
    assert "POST /events/crm refuses every request" in warnings
    assert "TELNYX_PUBLIC_KEY is not set" in warnings


def test_disabled_verification_is_shouted() -> None:
    """verify_signatures: false produces the loud warning, whatever else is set."""
    settings = make_settings(
        ingress_token="tok-123456", config={"ingress": {"verify_signatures": False}}
    )
    assert any("VERIFICATION IS DISABLED" in w for w in access_warnings(settings))


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc.def", "abc.def"),
        ("bearer abc", "abc"),
        ("BEARER   abc  ", "abc"),
        ("Basic dXNlcjpwYXNz", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("abc", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_tokens_are_read_from_the_authorization_header(
    header: str | None, token: str | None
) -> None:
    """The scheme is case-insensitive; anything but Bearer with a token is no token."""
    assert bearer_token(header) == token
