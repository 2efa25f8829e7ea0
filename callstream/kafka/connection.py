"""Where the Kafka cluster is and how to authenticate to it.

``KAFKA_BOOTSTRAP_SERVERS`` wins; when it is unset, the local development
broker recorded in the Kafka data dir (``callstream.kafka.local``) is used if
it is running, and anything else is a ``ConfigError`` that says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from callstream.errors import ConfigError
from callstream.kafka.local import read_local_bootstrap
from callstream.settings import SaslMechanism, SecurityProtocol, Settings


@dataclass(frozen=True)
class KafkaConnection:
    """Bootstrap servers and security, ready to become any client's configuration."""

    bootstrap_servers: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_ca_location: Path | None = None
    ssl_certificate_location: Path | None = None
    ssl_key_location: Path | None = None
    ssl_key_password: SecretStr | None = None
    local: bool = False
    """True when this is the embedded development broker."""

    def secret_values(self) -> list[str]:
        """The SASL and key passwords' values, for blanking out of messages (never for display)."""
        held = (self.sasl_password, self.ssl_key_password)
        return [s.get_secret_value() for s in held if s is not None]

    def describe(self) -> str:
        """A log-safe one-line description (no secrets)."""
        where = "local broker " if self.local else ""
        return f"{where}{self.bootstrap_servers} ({self.security_protocol})"


def resolve_connection(settings: Settings) -> KafkaConnection:
    """The cluster to use: the configured one, else the running local broker."""
    env = settings.env
    if env.kafka_bootstrap_servers:
        return KafkaConnection(
            bootstrap_servers=env.kafka_bootstrap_servers,
            security_protocol=env.kafka_security_protocol,
            sasl_mechanism=env.kafka_sasl_mechanism,
            sasl_username=env.kafka_sasl_username,
            sasl_password=env.kafka_sasl_password,
            ssl_ca_location=env.kafka_ssl_ca_location,
            ssl_certificate_location=env.kafka_ssl_certificate_location,
            ssl_key_location=env.kafka_ssl_key_location,
            ssl_key_password=env.kafka_ssl_key_password,
        )
    bootstrap = read_local_bootstrap(settings.kafka_dir)
    if bootstrap is None:
        raise ConfigError(
            "KAFKA_BOOTSTRAP_SERVERS is not set and no local Kafka broker is running "
            f"(looked in {settings.kafka_dir}): run `callstream kafka start`, or set "
            "KAFKA_BOOTSTRAP_SERVERS to your cluster"
        )
    return KafkaConnection(bootstrap_servers=bootstrap, local=True)
