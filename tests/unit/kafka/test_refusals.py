"""Which librdkafka errors are a refusal of this client's settings, and the variable each names."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError as RdKafkaError

from callstream.kafka.refusals import client_refusal, refusal

# The texts librdkafka 2.16 gave against the secured local broker (tests/integration/secured).
SASL_FAILED = (
    "sasl_ssl://127.0.0.1:5/bootstrap: SASL authentication error: Authentication failed during "
    "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"
)
UNTRUSTED = (
    "sasl_ssl://127.0.0.1:5/bootstrap: SSL handshake failed: error:0A000086:SSL routines::"
    "certificate verify failed: broker certificate could not be verified"
)
NO_CLIENT_CERT = (
    "ssl://127.0.0.1:5/bootstrap: Receive failed: error:0A000412:SSL routines::ssl/tls alert "
    "bad certificate: SSL alert number 42"
)
UNKNOWN_CLIENT_CERT = (
    "ssl://127.0.0.1:5/bootstrap: Receive failed: error:0A000416:SSL routines::ssl/tls alert "
    "certificate unknown: SSL alert number 46"
)


@pytest.mark.parametrize(
    ("code", "text", "variable"),
    [
        (RdKafkaError._AUTHENTICATION, SASL_FAILED, "KAFKA_SASL_PASSWORD"),
        (RdKafkaError._SSL, UNTRUSTED, "KAFKA_SSL_CA_LOCATION"),
        (RdKafkaError._TRANSPORT, UNTRUSTED, "KAFKA_SSL_CA_LOCATION"),
        (RdKafkaError._TRANSPORT, NO_CLIENT_CERT, "KAFKA_SSL_CERTIFICATE_LOCATION"),
        (RdKafkaError._TRANSPORT, UNKNOWN_CLIENT_CERT, "KAFKA_SSL_KEY_LOCATION"),
    ],
)
def test_a_refusal_names_its_variable(code: int, text: str, variable: str) -> None:
    line = refusal(code, text)
    assert line is not None
    assert variable in line
    assert "\n" not in line


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (RdKafkaError._TRANSPORT, "Connect to ipv4#127.0.0.1:5 failed: Connection refused"),
        (RdKafkaError._ALL_BROKERS_DOWN, "1/1 brokers are down"),
        (RdKafkaError._TIMED_OUT, "certificate verify failed"),  # not a connection error
    ],
)
def test_an_absent_broker_is_no_refusal(code: int, text: str) -> None:
    """Those are waited on (CALLSTREAM_KAFKA_WAIT_S), not turned into a configuration error."""
    assert refusal(code, text) is None


def test_secrets_are_blanked_from_the_quoted_text() -> None:
    line = refusal(RdKafkaError._AUTHENTICATION, SASL_FAILED + " hunter2", ["hunter2"])
    assert line is not None
    assert "hunter2" not in line
    assert "***" in line


def test_a_client_librdkafka_cannot_create_names_the_property_s_variable() -> None:
    text = "Failed to create admin client: ssl.key.location failed: error:0A080002:SSL routines"
    assert client_refusal(text).startswith("KAFKA_SSL_KEY_LOCATION: ")
    assert client_refusal("something else").startswith("the Kafka client settings (KAFKA_*)")
