"""Services say so, loudly, when they run with the repository's published dev credentials."""

from __future__ import annotations

import json

import pytest

from callstream import credentials
from callstream.startup import start_service

_VARS = [
    "TELNYX_API_KEY", "TELNYX_PUBLIC_KEY", "CALLSTREAM_INGRESS_TOKEN",
    "CALLSTREAM_EMULATOR_SIGNING_KEY", "CALLSTREAM_CONFIG", "CALLSTREAM_TOKEN_CRM",
    "CALLSTREAM_TOKEN_FRAUD", "CALLSTREAM_TOKEN_TICKETING",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, restore_logging: None) -> None:
    for name in _VARS:
        monkeypatch.delenv(name, raising=False)


def _errors(err: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line["level"] == "error"]


def test_published_credentials_are_flagged(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The compose defaults make every service log one error naming the settings."""
    monkeypatch.setenv("TELNYX_API_KEY", credentials.DEV_API_KEY)
    monkeypatch.setenv("TELNYX_PUBLIC_KEY", credentials.DEV_PUBLIC_KEY)
    monkeypatch.setenv("CALLSTREAM_INGRESS_TOKEN", credentials.DEV_INGRESS_TOKEN)
    start_service("ingress")
    [error] = _errors(capsys.readouterr().err)
    assert error["event"] == "published_development_credentials"
    named = set(error["settings"])  # type: ignore[arg-type]
    assert {"TELNYX_API_KEY", "TELNYX_PUBLIC_KEY", "CALLSTREAM_INGRESS_TOKEN"} <= named
    assert credentials.DEV_API_KEY not in capsys.readouterr().err


def test_own_credentials_are_not_flagged(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Credentials of one's own raise no alarm."""
    monkeypatch.setenv("TELNYX_API_KEY", "KEY0123456789abcdef")
    monkeypatch.setenv("CALLSTREAM_INGRESS_TOKEN", "a-token-of-our-own-1234")
    start_service("injector")
    assert _errors(capsys.readouterr().err) == []
