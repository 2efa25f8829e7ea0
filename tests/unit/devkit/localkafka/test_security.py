"""The secured local broker's certificates, properties and data-dir rules (no broker started)."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from cryptography import x509

from devkit.errors import LocalKafkaError
from devkit.localkafka.properties import server_properties
from devkit.localkafka.security import ADMIN, BrokerSecurity, SecurityMode


def _properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


def test_certificates_chain_to_the_ca_and_name_loopback(tmp_path: Path) -> None:
    security = BrokerSecurity.create(tmp_path / "security", "mtls", ["ingress"])
    ca = x509.load_pem_x509_certificate(security.ca.read_bytes())
    client = security.client("ingress").identity
    assert client is not None
    cert = x509.load_pem_x509_certificate(client.certificate.read_bytes())
    cert.verify_directly_issued_by(ca)
    assert cert.subject.rfc4514_string() == "CN=ingress"
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "127.0.0.1" in {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    assert stat.S_IMODE(client.key.stat().st_mode) == 0o600
    assert not (tmp_path / "security" / "ca.key").exists(), "the CA's key never touches disk"


def test_scram_users_are_formatted_in_and_found_again(tmp_path: Path) -> None:
    made = BrokerSecurity.create(tmp_path / "security", "sasl_ssl", ["streams"])
    args = made.format_args()
    assert args.count("--add-scram") == 2  # admin and streams
    assert any(a.startswith("SCRAM-SHA-512=[name=streams,password=") for a in args)
    found = BrokerSecurity.for_data_dir(tmp_path, None)
    assert found == made
    env = made.client("streams").env("127.0.0.1:1")
    assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert env["KAFKA_SASL_USERNAME"] == "streams"
    assert stat.S_IMODE((tmp_path / "security" / "security.json").stat().st_mode) == 0o600


def test_the_broker_is_secured_and_authorizes(tmp_path: Path) -> None:
    security = BrokerSecurity.create(tmp_path / "security", "sasl_ssl")
    props = _properties(
        server_properties(
            port=1,
            controller_port=3,
            log_dirs=tmp_path,
            overrides=security.properties(port=1, broker_port=2, controller_port=3),
        )
    )
    assert props["listener.security.protocol.map"] == "CLIENT:SASL_SSL,BROKER:SSL,CONTROLLER:SSL"
    assert props["advertised.listeners"] == "CLIENT://127.0.0.1:1,BROKER://127.0.0.1:2"
    assert props["super.users"] == f"User:broker;User:{ADMIN}"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["listener.name.client.ssl.client.auth"] == "none"
    assert "PLAINTEXT" not in props["listener.security.protocol.map"]


@pytest.mark.parametrize(
    ("first", "then", "users", "says"),
    [
        ("sasl_ssl", "mtls", (), "made with --security sasl_ssl"),
        ("sasl_ssl", None, ("late",), "no user(s) late"),
    ],
)
def test_a_data_dir_keeps_its_security(
    first: SecurityMode,
    then: SecurityMode | None,
    users: tuple[str, ...],
    says: str,
    tmp_path: Path,
) -> None:
    BrokerSecurity.for_data_dir(tmp_path, first, ())
    with pytest.raises(LocalKafkaError, match=re.escape(says)):
        BrokerSecurity.for_data_dir(tmp_path, then, users)


def test_a_plaintext_data_dir_cannot_become_secured(tmp_path: Path) -> None:
    (tmp_path / "kafka-data").mkdir()
    (tmp_path / "kafka-data" / "meta.properties").write_text("")
    assert BrokerSecurity.for_data_dir(tmp_path, None) is None
    with pytest.raises(LocalKafkaError, match="formatted without --security"):
        BrokerSecurity.for_data_dir(tmp_path, "mtls")
