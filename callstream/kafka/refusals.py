"""The cluster refusing this client: librdkafka errors that mean a setting is wrong, not the
network.

A wrong SASL password, a CA that does not sign the broker's certificate, a
client certificate the broker does not accept: waiting changes none of them,
so the start-up probe turns each into a ``ConfigError`` (exit status 2) at
once, in one line that names the variable to fix. Pure: the probe feeds it
librdkafka's error code and text.
"""

from __future__ import annotations

from collections.abc import Iterable

from confluent_kafka import KafkaError as RdKafkaError

# librdkafka's property → the environment variable it is set from (callstream.kafka.config).
VARIABLES = {
    "security.protocol": "KAFKA_SECURITY_PROTOCOL",
    "sasl.mechanism": "KAFKA_SASL_MECHANISM",
    "sasl.username": "KAFKA_SASL_USERNAME",
    "sasl.password": "KAFKA_SASL_PASSWORD",
    "ssl.ca.location": "KAFKA_SSL_CA_LOCATION",
    "ssl.certificate.location": "KAFKA_SSL_CERTIFICATE_LOCATION",
    "ssl.key.location": "KAFKA_SSL_KEY_LOCATION",
    "ssl.key.password": "KAFKA_SSL_KEY_PASSWORD",
}

# What OpenSSL says when the broker's certificate does not verify against our CA ...
_UNTRUSTED_BROKER = ("certificate verify failed",)
# ... and the TLS alerts a broker sends when it refuses our client certificate (42, 46, 116).
_REFUSED_CLIENT = ("alert bad certificate", "alert certificate unknown", "certificate required")


def refusal(code: int, text: str, secrets: Iterable[str] = ()) -> str | None:
    """One line naming the variable at fault if ``code``/``text`` is such a refusal, else None.

    ``secrets`` are blanked from the quoted librdkafka text (it never holds them
    today; this keeps it so).
    """
    said = _scrub(text, secrets)
    if code == RdKafkaError._AUTHENTICATION:
        return (
            "KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD: the broker refused these credentials "
            f"(check the user exists for KAFKA_SASL_MECHANISM and the password): {said}"
        )
    if code not in (RdKafkaError._SSL, RdKafkaError._TRANSPORT):
        return None
    lowered = said.lower()
    if any(marker in lowered for marker in _UNTRUSTED_BROKER):
        return (
            "KAFKA_SSL_CA_LOCATION: the broker's TLS certificate is not signed by a CA in this "
            f"file (set it to the CA that issued the broker's certificate): {said}"
        )
    if any(marker in lowered for marker in _REFUSED_CLIENT):
        return (
            "KAFKA_SSL_CERTIFICATE_LOCATION / KAFKA_SSL_KEY_LOCATION: the broker refused the "
            "client certificate (it requires one its CA signed, with its private key): "
            f"{said}"
        )
    return None


def client_refusal(text: str, secrets: Iterable[str] = ()) -> str:
    """A client librdkafka would not even create (an unreadable key, a bad path), as one line
    naming the variable when the text names its property."""
    said = _scrub(text, secrets)
    for prop, variable in VARIABLES.items():
        if prop in said:
            return f"{variable}: librdkafka cannot use it: {said}"
    return f"the Kafka client settings (KAFKA_*) are not usable: {said}"


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
