"""A secured local broker: a SASL_SSL (SCRAM-SHA-512) or a mutual-TLS client listener, ACLs on.

``BrokerSecurity.create`` makes everything a secured data dir needs under
``<data dir>/security``: a throw-away CA, the broker's certificate, and one
credential per user (a SCRAM password, or a client certificate), recorded in
``security.json`` (mode 0600: it holds the passwords) so a restart finds them.
SCRAM users are created by the broker's own tooling (``kafka-storage format
--add-scram``) when the storage is formatted.

Layout of the broker: ``CLIENT`` is the listener clients use (``SASL_SSL`` or
``SSL`` with client certificates required); ``BROKER`` (inter-broker) and
``CONTROLLER`` are mutual TLS with the broker's own certificate. The
``StandardAuthorizer`` is on and refuses what no ACL allows; ``User:broker``
and ``User:admin`` are super users. Every principal is ``User:<name>``: the
SCRAM user name, or the ``CN`` of the client certificate.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, get_args

from callstream.kafka.connection import KafkaConnection
from callstream.settings import SaslMechanism
from devkit.errors import LocalKafkaError
from devkit.localkafka.certs import CertificateAuthority, Identity

SecurityMode = Literal["sasl_ssl", "mtls"]
MODES: tuple[SecurityMode, ...] = get_args(SecurityMode)

ADMIN = "admin"
"""The operator's user: a super user (``topics create``, ``dlq replay``, creating ACLs)."""
BROKER = "broker"
"""The broker's own principal (inter-broker and controller traffic): a super user."""
SCRAM_MECHANISM: Final[SaslMechanism] = "SCRAM-SHA-512"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"

_STATE = "security.json"


@dataclass(frozen=True)
class ClientCredentials:
    """How one user connects to the secured broker."""

    user: str
    mode: SecurityMode
    ca: Path
    password: str | None = None
    identity: Identity | None = None

    def env(self, bootstrap: str) -> dict[str, str]:
        """The callstream environment variables for this user (README, *Connecting to your
        Kafka*); they hold the password: hand them to a process, never print them."""
        env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_SSL_CA_LOCATION": str(self.ca)}
        if self.mode == "sasl_ssl":
            assert self.password is not None
            return env | {
                "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "KAFKA_SASL_MECHANISM": SCRAM_MECHANISM,
                "KAFKA_SASL_USERNAME": self.user,
                "KAFKA_SASL_PASSWORD": self.password,
            }
        assert self.identity is not None
        return env | {
            "KAFKA_SECURITY_PROTOCOL": "SSL",
            "KAFKA_SSL_CERTIFICATE_LOCATION": str(self.identity.certificate),
            "KAFKA_SSL_KEY_LOCATION": str(self.identity.key),
        }

    def connection(self, bootstrap: str) -> KafkaConnection:
        """A ``KafkaConnection`` as ``resolve_connection`` would make from ``env``."""
        from pydantic import SecretStr

        if self.mode == "sasl_ssl":
            return KafkaConnection(
                bootstrap_servers=bootstrap,
                security_protocol="SASL_SSL",
                sasl_mechanism=SCRAM_MECHANISM,
                sasl_username=self.user,
                sasl_password=SecretStr(self.password or ""),
                ssl_ca_location=self.ca,
            )
        assert self.identity is not None
        return KafkaConnection(
            bootstrap_servers=bootstrap,
            security_protocol="SSL",
            ssl_ca_location=self.ca,
            ssl_certificate_location=self.identity.certificate,
            ssl_key_location=self.identity.key,
        )


@dataclass(frozen=True)
class BrokerSecurity:
    """The secured broker's mode, certificates and users (admin included)."""

    mode: SecurityMode
    directory: Path
    users: Mapping[str, ClientCredentials]

    @property
    def ca(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def broker_identity(self) -> Identity:
        return Identity.at(self.directory, BROKER)

    def client(self, user: str = ADMIN) -> ClientCredentials:
        try:
            return self.users[user]
        except KeyError:
            raise LocalKafkaError(
                f"the secured broker has no user {user!r} (it has: {', '.join(self.users)})"
            ) from None

    # -- making and finding ------------------------------------------------------
    @classmethod
    def create(
        cls, directory: Path, mode: SecurityMode, users: Sequence[str] = ()
    ) -> BrokerSecurity:
        """A new CA, broker certificate and credentials for ``admin`` and ``users``."""
        authority = CertificateAuthority.create(directory)
        authority.issue(BROKER)
        passwords: dict[str, str | None] = {}
        for name in [ADMIN, *(u for u in users if u != ADMIN)]:
            if mode == "sasl_ssl":
                passwords[name] = secrets.token_urlsafe(18)
            else:
                authority.issue(name)
                passwords[name] = None
        fd = os.open(directory / _STATE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"mode": mode, "users": passwords}, handle, indent=2)
        made = cls.load(directory)
        assert made is not None
        return made

    @classmethod
    def load(cls, directory: Path) -> BrokerSecurity | None:
        """What ``create`` made in ``directory``; None if it never ran there."""
        path = directory / _STATE
        try:
            record = json.loads(path.read_text())
            mode = record["mode"]
            users = record["users"]
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise LocalKafkaError(f"{path} is unreadable ({exc}); remove the data dir") from exc
        if mode not in MODES:
            raise LocalKafkaError(f"{path}: unknown security mode {mode!r}")
        ca = directory / "ca.pem"
        credentials = {
            name: ClientCredentials(name, mode, ca, password)
            if mode == "sasl_ssl"
            else ClientCredentials(name, mode, ca, identity=Identity.at(directory, name))
            for name, password in users.items()
        }
        return cls(mode, directory, credentials)

    @classmethod
    def for_data_dir(
        cls, data_dir: Path, mode: SecurityMode | None, users: Sequence[str] = ()
    ) -> BrokerSecurity | None:
        """The security of the broker in ``data_dir``: what an earlier secured start made there,
        else new for ``mode`` (None: a plaintext broker). SCRAM users exist only from the
        storage's first format, so a formatted plaintext data dir cannot become secured."""
        directory = data_dir / "security"
        found = cls.load(directory)
        if found is not None:
            if mode is not None and mode != found.mode:
                raise LocalKafkaError(
                    f"the broker in {data_dir} was made with --security {found.mode}, not "
                    f"{mode}: use another --data-dir"
                )
            missing = [u for u in users if u not in found.users]
            if missing:
                raise LocalKafkaError(
                    f"the broker in {data_dir} has no user(s) {', '.join(missing)} (users are "
                    "made when its storage is first formatted): use another --data-dir"
                )
            return found
        if mode is None:
            return None
        if (data_dir / "kafka-data" / "meta.properties").exists():
            raise LocalKafkaError(
                f"the broker in {data_dir} was formatted without --security: use another "
                "--data-dir for a secured broker"
            )
        return cls.create(directory, mode, users)

    def write_env_files(self, bootstrap: str) -> dict[str, Path]:
        """A mode-0600 ``<user>.env`` of ``export`` lines per user, to ``source``; by user."""
        written = {}
        for name, user in self.users.items():
            path = self.directory / f"{name}.env"
            lines = [f"export {k}={shlex.quote(v)}\n" for k, v in user.env(bootstrap).items()]
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.writelines(lines)
            written[name] = path
        return written

    # -- the broker's side --------------------------------------------------------
    def format_args(self) -> list[str]:
        """``kafka-storage format`` arguments creating the SCRAM users (none for mTLS)."""
        if self.mode != "sasl_ssl":
            return []
        args = []
        for name, user in self.users.items():
            args += ["--add-scram", f"{SCRAM_MECHANISM}=[name={name},password={user.password}]"]
        return args

    def properties(self, *, port: int, broker_port: int, controller_port: int) -> dict[str, str]:
        """The broker properties that secure it (they replace the plaintext listeners)."""
        client_protocol = "SASL_SSL" if self.mode == "sasl_ssl" else "SSL"
        props = {
            "listeners": (
                f"CLIENT://127.0.0.1:{port},BROKER://127.0.0.1:{broker_port},"
                f"CONTROLLER://127.0.0.1:{controller_port}"
            ),
            "advertised.listeners": f"CLIENT://127.0.0.1:{port},BROKER://127.0.0.1:{broker_port}",
            "listener.security.protocol.map": (
                f"CLIENT:{client_protocol},BROKER:SSL,CONTROLLER:SSL"
            ),
            "inter.broker.listener.name": "BROKER",
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(self.broker_identity.bundle),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.ca),
            "ssl.client.auth": "required",
            # CN=<name> becomes User:<name>, as a SCRAM user name does.
            "ssl.principal.mapping.rules": "RULE:^CN=([^,]+)$/$1/,DEFAULT",
            "authorizer.class.name": AUTHORIZER,
            "super.users": f"User:{BROKER};User:{ADMIN}",
            "allow.everyone.if.no.acl.found": "false",
        }
        if self.mode == "sasl_ssl":
            props |= {
                "sasl.enabled.mechanisms": SCRAM_MECHANISM,
                "listener.name.client.sasl.enabled.mechanisms": SCRAM_MECHANISM,
                "listener.name.client.scram-sha-512.sasl.jaas.config": (
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;"
                ),
                "listener.name.client.ssl.client.auth": "none",
            }
        return props
