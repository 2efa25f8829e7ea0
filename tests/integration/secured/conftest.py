"""The two secured brokers (SASL_SSL with SCRAM-SHA-512, and mutual TLS), one start each per
session, and the pipeline running against one of them.

Both are the local broker from the official jars with this run's own CA and
users (``devkit.testing.secured``), the authorizer on; ``admin`` is a super
user and runs what an operator runs (``topics create``, ``dlq replay``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import yaml

from callstream.config import AppConfig
from callstream.errors import CallstreamError
from callstream.kafka.acls import SERVICES
from callstream.paths import default_cache_dir
from callstream.settings import load_settings
from devkit.dev.config import DEVELOPER_SETTINGS, prefixed_config
from devkit.dev.pipeline import DevOptions, DevPorts, LocalPipeline
from devkit.localkafka.security import MODES, SecurityMode
from devkit.testing.secured import SecuredBroker, provide_secured_broker
from devkit.testing.skips import missing_prerequisite

KAFKA_VARIABLES = (
    "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "KAFKA_SSL_CA_LOCATION",
    "KAFKA_SSL_CERTIFICATE_LOCATION", "KAFKA_SSL_KEY_LOCATION", "KAFKA_SSL_KEY_PASSWORD",
)  # fmt: skip


@pytest.fixture(scope="session")
def secured_brokers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[SecurityMode, SecuredBroker]]:
    """Both secured brokers, started side by side (a broker's start is mostly waiting)."""
    java_home = os.environ.get("JAVA_HOME")
    cache = os.environ.get("CALLSTREAM_CACHE_DIR")
    starting = {
        mode: provide_secured_broker(
            mode,
            work_dir=tmp_path_factory.mktemp(f"kafka-{mode}"),
            cache_dir=Path(cache) if cache else default_cache_dir(),
            users=SERVICES,
            java_home=Path(java_home) if java_home else None,
        )
        for mode in MODES
    }
    with ExitStack() as running, ThreadPoolExecutor(len(starting)) as pool:
        futures = {mode: pool.submit(broker.__enter__) for mode, broker in starting.items()}
        brokers: dict[SecurityMode, SecuredBroker] = {}
        failures: list[str] = []
        unexpected: list[BaseException] = []
        for mode, future in futures.items():
            error = future.exception()
            if error is None:
                brokers[mode] = future.result()
                running.push(starting[mode].__exit__)  # stopped when the session ends
            elif isinstance(error, CallstreamError):
                failures.append(f"{mode}: {error}")
            else:
                unexpected.append(error)
        if unexpected:
            raise unexpected[0]  # after every started broker is in `running`, to be stopped
        if failures:
            missing_prerequisite(f"no secured Kafka broker: {'; '.join(failures)}")
        yield brokers


@pytest.fixture(scope="session")
def scram_broker(secured_brokers: dict[SecurityMode, SecuredBroker]) -> SecuredBroker:
    """A broker whose client listener is SASL_SSL, SCRAM-SHA-512; users admin and one per
    service, made by ``kafka-storage format --add-scram``."""
    return secured_brokers["sasl_ssl"]


@pytest.fixture(scope="session")
def mtls_broker(secured_brokers: dict[SecurityMode, SecuredBroker]) -> SecuredBroker:
    """A broker whose client listener is SSL and requires a client certificate; users admin
    and one per service, each a certificate with its name as CN."""
    return secured_brokers["mtls"]


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any Kafka or developer setting, plus ``extra``."""
    dropped = {*KAFKA_VARIABLES, *DEVELOPER_SETTINGS}
    return {k: v for k, v in os.environ.items() if k not in dropped} | dict(extra)


def run_cli(
    env: Mapping[str, str], *args: str, timeout_s: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """``callstream ARGS`` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "callstream_cli", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def new_prefix() -> str:
    return f"sec{uuid.uuid4().hex[:8]}."


def pipeline_config(prefix: str, *, exactly_once: bool = False) -> AppConfig:
    """The demo configuration under ``prefix``, the streams worker ``exactly_once`` if asked."""
    config = prefixed_config(prefix, partitions=2)
    if exactly_once:
        streams = config.streams.model_copy(update={"processing_guarantee": "exactly_once"})
        config = config.model_copy(update={"streams": streams})
    return config


@contextmanager
def secured_pipeline(
    broker: SecuredBroker,
    state_dir: Path,
    *,
    prefix: str | None = None,
    service_env: Mapping[str, Mapping[str, str]] | None = None,
    exactly_once: bool = False,
) -> Iterator[LocalPipeline]:
    """Topics made by ``callstream topics create`` as admin, then every service running on
    ``broker`` (as admin, or as ``service_env`` says), under ``prefix`` (else a fresh one)."""
    prefix = prefix or new_prefix()
    config = pipeline_config(prefix, exactly_once=exactly_once)
    config_path = state_dir / "topics.yaml"
    state_dir.mkdir(parents=True, exist_ok=True)
    config_path.write_text(yaml.safe_dump(config.model_dump(mode="json")))
    env = clean_env(
        broker.env() | {"CALLSTREAM_TOPIC_PREFIX": prefix, "CALLSTREAM_CONFIG": str(config_path)}
    )
    created = run_cli(env, "topics", "create")
    assert created.returncode == 0, created.stdout + created.stderr
    assert "0 already existed" in created.stdout, created.stdout
    with pytest.MonkeyPatch.context() as patch:
        for name in (*KAFKA_VARIABLES, *DEVELOPER_SETTINGS):
            patch.delenv(name, raising=False)
        for name, value in env.items():
            patch.setenv(name, value)
        settings = load_settings()
    options = DevOptions(ports=DevPorts.free(), config=config, service_env=service_env or {})
    with LocalPipeline(settings, base_env=env, state_dir=state_dir, options=options) as pipeline:
        yield pipeline
        dead = pipeline.exited()
        assert not dead, f"services died during the test: {[r.service.name for r in dead]}"
