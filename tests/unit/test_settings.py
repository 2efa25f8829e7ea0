"""Environment settings: validated at start, each bad variable named, secrets kept secret."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from callstream.errors import ConfigError
from callstream.settings import load_settings

ENV_VARS = [
    "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "KAFKA_SSL_CA_LOCATION",
    "KAFKA_SSL_CERTIFICATE_LOCATION", "KAFKA_SSL_KEY_LOCATION", "TELNYX_API_KEY", "TELNYX_BASE_URL",
    "TELNYX_PUBLIC_KEY", "CALLSTREAM_CONFIG", "CALLSTREAM_TOPIC_PREFIX",
    "CALLSTREAM_INGRESS_TOKEN", "CALLSTREAM_TOKEN_CRM", "CALLSTREAM_TOKEN_FRAUD",
    "CALLSTREAM_TOKEN_TICKETING", "CALLSTREAM_LOG_LEVEL", "CALLSTREAM_KAFKA_WAIT_S",
]  # fmt: skip


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    """With nothing set, the documented defaults apply."""
    settings = load_settings()
    assert settings.env.kafka_bootstrap_servers is None
    assert str(settings.env.telnyx_base_url) == "https://api.telnyx.com/v2"
    assert settings.topics.tool_calls == "callstream.tool-calls"
    assert settings.topics.source("crm") == "crm.events"


@pytest.mark.parametrize(
    ("name", "value", "mentions"),
    [
        ("KAFKA_SECURITY_PROTOCOL", "TLS", "KAFKA_SECURITY_PROTOCOL"),
        ("TELNYX_BASE_URL", "not a url", "TELNYX_BASE_URL"),
        ("TELNYX_PUBLIC_KEY", "%%%", "TELNYX_PUBLIC_KEY"),
        ("TELNYX_PUBLIC_KEY", base64.b64encode(b"short").decode(), "32"),
        ("CALLSTREAM_TOPIC_PREFIX", "bad prefix/", "CALLSTREAM_TOPIC_PREFIX"),
        ("CALLSTREAM_LOG_LEVEL", "LOUD", "CALLSTREAM_LOG_LEVEL"),
        ("KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_SASL_MECHANISM"),
        ("KAFKA_BOOTSTRAP_SERVERS", "not-a-host:notaport", "KAFKA_BOOTSTRAP_SERVERS"),
        ("KAFKA_BOOTSTRAP_SERVERS", "broker1:9092,", "''"),
        ("KAFKA_BOOTSTRAP_SERVERS", "broker1:99999", "broker1:99999"),
        ("KAFKA_BOOTSTRAP_SERVERS", "broker 1:9092", "KAFKA_BOOTSTRAP_SERVERS"),
        ("KAFKA_BOOTSTRAP_SERVERS", "", "set but empty"),
        ("KAFKA_BOOTSTRAP_SERVERS", "   ", "KAFKA_BOOTSTRAP_SERVERS"),
        ("CALLSTREAM_KAFKA_WAIT_S", "0", "CALLSTREAM_KAFKA_WAIT_S"),
    ],
)
def test_bad_variables_are_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, mentions: str
) -> None:
    """A bad value fails at start, in one line, with the variable's name in the message."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=mentions) as caught:
        load_settings()
    assert "\n" not in str(caught.value)


def test_several_bad_variables_are_listed_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fault at once, a line each under a heading."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "")
    monkeypatch.setenv("CALLSTREAM_LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).splitlines()[0] == "environment: 2 invalid variable(s)"
    assert [line.split(":")[0].strip() for line in str(caught.value).splitlines()[1:]] == [
        "KAFKA_BOOTSTRAP_SERVERS",
        "CALLSTREAM_LOG_LEVEL",
    ]


@pytest.mark.parametrize(
    "value",
    [
        "127.0.0.1:9092",
        "broker-1.example.com:9093,broker-2.example.com:9093",
        "kafka:9092, kafka-2:9092",
        "SASL_SSL://broker.example.com:9094",
        "[::1]:9092",
        "broker",
    ],
)
def test_bootstrap_lists_librdkafka_reads_are_accepted(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """Host names, addresses, IPv6 in brackets, a scheme, a missing port (librdkafka: 9092)."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", value)
    assert load_settings().env.kafka_bootstrap_servers == value


def test_log_level_is_read_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """``debug`` means DEBUG, as every logging tool reads it."""
    monkeypatch.setenv("CALLSTREAM_LOG_LEVEL", "debug")
    assert load_settings().env.callstream_log_level == "DEBUG"


def test_config_file_errors_surface(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """CALLSTREAM_CONFIG pointing at a bad file fails the same way."""
    bad = tmp_path / "c.yaml"
    bad.write_text("streams: {grace_period_s: -3}\n")
    monkeypatch.setenv("CALLSTREAM_CONFIG", str(bad))
    with pytest.raises(ConfigError, match=r"streams\.grace_period_s"):
        load_settings()


def test_source_tokens_fall_back_to_the_ingress_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """A source's own token wins; without one, CALLSTREAM_INGRESS_TOKEN applies."""
    monkeypatch.setenv("CALLSTREAM_TOKEN_CRM", "crm-secret-1")
    monkeypatch.setenv("CALLSTREAM_INGRESS_TOKEN", "shared-secret-1")
    tokens = load_settings().source_tokens
    assert tokens["crm"].get_secret_value() == "crm-secret-1"
    assert tokens["fraud"].get_secret_value() == "shared-secret-1"


def test_sources_without_any_token_accept_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no token configured at all, no source has one (the ingress then refuses all)."""
    assert load_settings().source_tokens == {}


def test_secrets_are_not_in_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Printing the settings never shows a secret; the redactor still gets the values."""
    monkeypatch.setenv("TELNYX_API_KEY", "KEY-very-secret")
    monkeypatch.setenv("CALLSTREAM_INGRESS_TOKEN", "TOKEN-very-secret")
    settings = load_settings()
    assert "very-secret" not in repr(settings)
    assert set(settings.secret_values()) == {"KEY-very-secret", "TOKEN-very-secret"}


REGISTRY_AUTH = "CRM_SR_AUTH (sources.crm.schema_registry.basic_auth_env)"
AVRO_SOURCE = """
sources:
  crm:
    topic: crm.events
    format: avro
    schema_registry: {url: "https://registry.example:8081", basic_auth_env: CRM_SR_AUTH}
"""


@pytest.mark.parametrize(
    ("value", "says"),
    [(None, f"{REGISTRY_AUTH}: not set"),
     ("no-colon-secret", f"{REGISTRY_AUTH}: must be user:password")],
)  # fmt: skip
def test_registry_credentials_must_be_set_as_user_password(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str | None, says: str
) -> None:
    """The variable a registry's basic_auth_env names is read once, at start; missing or
    malformed, the start fails naming it, never showing its value."""
    config = tmp_path / "c.yaml"
    config.write_text(AVRO_SOURCE)
    monkeypatch.setenv("CALLSTREAM_CONFIG", str(config))
    if value is not None:
        monkeypatch.setenv("CRM_SR_AUTH", value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert says in str(raised.value)
    assert "no-colon-secret" not in str(raised.value)


def test_registry_credentials_are_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Registry credentials are kept per source, out of reprs, and given to the redactor."""
    config = tmp_path / "c.yaml"
    config.write_text(AVRO_SOURCE)
    monkeypatch.setenv("CALLSTREAM_CONFIG", str(config))
    monkeypatch.setenv("CRM_SR_AUTH", "svc-callstream:SR-very-secret")
    settings = load_settings()
    assert settings.registry_auth["crm"].get_secret_value() == "svc-callstream:SR-very-secret"
    assert "very-secret" not in repr(settings)
    assert "svc-callstream:SR-very-secret" in settings.secret_values()


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ("KAFKA_SSL_CERTIFICATE_LOCATION", "KAFKA_SSL_KEY_LOCATION"),
        ("KAFKA_SSL_KEY_LOCATION", "KAFKA_SSL_CERTIFICATE_LOCATION"),
    ],
)
def test_a_client_certificate_and_its_key_come_together(
    given: str, named: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One without the other is one line naming the missing variable, not a TLS error later."""
    (tmp_path / "file.pem").write_text("x")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv(given, str(tmp_path / "file.pem"))
    with pytest.raises(ConfigError) as exc:
        load_settings()
    message = str(exc.value)
    assert message.startswith(f"environment: {named} is not set"), message
    assert "\n" not in message


@pytest.mark.parametrize(
    "name", ["KAFKA_SSL_CA_LOCATION", "KAFKA_SSL_CERTIFICATE_LOCATION", "KAFKA_SSL_KEY_LOCATION"]
)
def test_a_tls_file_that_does_not_exist_is_named(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, str(tmp_path / "absent.pem"))
    with pytest.raises(ConfigError, match=f"{name}: .*no such file"):
        load_settings()
