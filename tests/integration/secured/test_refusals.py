"""A secured cluster that refuses the client stops every service at start-up: exit 2 and one line
naming the variable to fix, within seconds (never a hang), and no secret in the output."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from callstream.errors import ConfigError
from callstream.kafka import probe_broker, resolve_connection
from callstream.settings import load_settings
from devkit.localkafka.certs import CertificateAuthority
from devkit.testing.secured import SecuredBroker
from tests.integration.secured.conftest import KAFKA_VARIABLES, clean_env

STARTUP_LIMIT_S = 60.0
"""Far more than a refusal takes (a second or two, plus Python's start on a busy machine),
far less than the CALLSTREAM_KAFKA_WAIT_S of 300 s a waiting service would sit out."""
WRONG_PASSWORD = "not-the-password-7f3a9c"


@dataclass(frozen=True)
class Refusal:
    broker: str
    variable: str
    env: Callable[[SecuredBroker, Path], dict[str, str]]


def _wrong_password(broker: SecuredBroker, _: Path) -> dict[str, str]:
    return broker.env("ingress") | {"KAFKA_SASL_PASSWORD": WRONG_PASSWORD}


def _untrusted_ca(broker: SecuredBroker, tmp: Path) -> dict[str, str]:
    other = CertificateAuthority.create(tmp / "other-ca")
    return broker.env("ingress") | {"KAFKA_SSL_CA_LOCATION": str(other.certificate)}


def _missing_client_key(broker: SecuredBroker, _: Path) -> dict[str, str]:
    env = broker.env("ingress")
    del env["KAFKA_SSL_KEY_LOCATION"]
    return env


def _no_client_certificate(broker: SecuredBroker, _: Path) -> dict[str, str]:
    env = broker.env("ingress")
    del env["KAFKA_SSL_KEY_LOCATION"], env["KAFKA_SSL_CERTIFICATE_LOCATION"]
    return env


CASES = {
    "wrong password": Refusal("scram_broker", "KAFKA_SASL_PASSWORD", _wrong_password),
    "untrusted CA (SASL_SSL)": Refusal("scram_broker", "KAFKA_SSL_CA_LOCATION", _untrusted_ca),
    "untrusted CA (mTLS)": Refusal("mtls_broker", "KAFKA_SSL_CA_LOCATION", _untrusted_ca),
    "missing client key": Refusal("mtls_broker", "KAFKA_SSL_KEY_LOCATION", _missing_client_key),
    "no client certificate": Refusal(
        "mtls_broker", "KAFKA_SSL_CERTIFICATE_LOCATION", _no_client_certificate
    ),
}


def _verdict(env: dict[str, str]) -> tuple[str, float]:
    """The ConfigError a service's start-up meets with ``env`` (settings, then the probe)."""
    started = time.monotonic()
    with pytest.MonkeyPatch.context() as patch:
        for name in KAFKA_VARIABLES:
            patch.delenv(name, raising=False)
        for name, value in env.items():
            patch.setenv(name, value)
        with pytest.raises(ConfigError) as refused:
            probe_broker(resolve_connection(load_settings()), timeout_s=STARTUP_LIMIT_S)
    return str(refused.value), time.monotonic() - started


@pytest.mark.parametrize("case", list(CASES))
def test_a_refusal_is_named_at_once(
    case: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Each refusal is a ConfigError naming its variable within seconds, holding no secret."""
    refusal = CASES[case]
    broker: SecuredBroker = request.getfixturevalue(refusal.broker)
    message, took = _verdict(refusal.env(broker, tmp_path))
    assert refusal.variable in message, message
    assert "\n" not in message
    assert took < 15.0, f"{took:.1f} s to refuse"
    for secret in (WRONG_PASSWORD, broker.env("ingress").get("KAFKA_SASL_PASSWORD")):
        assert secret is None or secret not in message


# Every process that speaks to Kafka, each meeting one of the refusals above.
SERVICE_CASES = {
    "ingress": (["ingress", "--port", "0"], "wrong password"),
    "streams": (["streams"], "untrusted CA (SASL_SSL)"),
    "injector": (["injector"], "missing client key"),
    "topics create": (["topics", "create"], "untrusted CA (mTLS)"),
    "dlq replay": (["dlq", "replay"], "no client certificate"),
}


def test_every_service_stops_at_start_up_with_exit_2(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Each service, refused, exits 2 with one line naming the variable, never a password."""
    base = {
        # The injector needs its API key before it looks for Kafka; this one is never sent.
        "TELNYX_API_KEY": "test-key-never-sent",
        "CALLSTREAM_TOPIC_PREFIX": "refused.",
        # A service that waited instead of refusing would outlast STARTUP_LIMIT_S.
        "CALLSTREAM_KAFKA_WAIT_S": "300",
    }
    started: dict[str, tuple[subprocess.Popen[str], Refusal, list[str]]] = {}
    for name, (argv, case) in SERVICE_CASES.items():
        refusal = CASES[case]
        broker: SecuredBroker = request.getfixturevalue(refusal.broker)
        env = clean_env(refusal.env(broker, tmp_path / name) | base)
        secrets = [WRONG_PASSWORD, broker.env("ingress").get("KAFKA_SASL_PASSWORD", "")]
        proc = subprocess.Popen(
            [sys.executable, "-m", "callstream_cli", *argv],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        started[name] = (proc, refusal, [s for s in secrets if s])
    try:
        for name, (proc, refusal, secrets) in started.items():
            out, err = proc.communicate(timeout=STARTUP_LIMIT_S)
            said = (out + err).splitlines()
            assert proc.returncode == 2, (name, proc.returncode, out[-2000:], err[-2000:])
            assert len(said) == 1, (name, said)
            assert said[0].startswith("callstream: "), (name, said)
            assert refusal.variable in said[0], (name, said[0])
            for secret in secrets:
                assert secret not in out + err, f"{name} printed a password"
    finally:
        for proc, _, _ in started.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
