"""docker-compose.yml is valid Compose, runs real commands, and gives each service what it reads.

No Docker engine runs here, so the file is checked the way Compose would read
it: against the Compose Specification's JSON schema, with variables
interpolated with and without a ``.env``, and each service's command and
environment tried against the real ``callstream`` code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from callstream import credentials
from callstream.config import load_config
from callstream.errors import ConfigError
from callstream.settings import Environment, load_settings
from devkit.testing.compose import load_compose, read_env_file
from devkit.testing.skips import missing_prerequisite

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"
CONTAINER_CONFIG = "/etc/callstream/callstream.yaml"
OURS = ("KAFKA_", "TELNYX_", "CALLSTREAM_")

# What each command cannot do its job without (beyond Kafka and the config file).
REQUIRES = {
    "ingress": {"TELNYX_PUBLIC_KEY", "CALLSTREAM_INGRESS_TOKEN"},
    "streams": set(),
    "injector": {"TELNYX_API_KEY", "TELNYX_BASE_URL"},
    "topics": set(),
    "emulator": {"TELNYX_API_KEY", "CALLSTREAM_EMULATOR_SIGNING_KEY"},
    "demo": {"CALLSTREAM_INGRESS_TOKEN"},
    "console": {"CALLSTREAM_CONSOLE_TOKEN"},
}


DEV_PROFILE = {"emulator", "backends", "demo"}


def _callstream_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services built from this repository's Dockerfile."""
    found = {name: s for name, s in compose["services"].items() if "build" in s}
    assert set(found) == {"topics", "ingress", "streams", "injector", "console", *DEV_PROFILE}
    return found


def _config_path(service: dict[str, Any]) -> Path:
    [mount] = [v for v in service.get("volumes", []) if v["target"] == CONTAINER_CONFIG]
    return (ROOT / mount["source"]).resolve()


def _env_of(service: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in (service.get("environment") or {}).items()}


def test_compose_file_matches_the_compose_specification(tmp_path: Path) -> None:
    """check-jsonschema's vendored Compose schema accepts it, and rejects a broken copy."""
    tool = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    if tool is None:
        missing_prerequisite("check-jsonschema is not installed (make install provides it)")
    schema = ["--builtin-schema", "vendor.compose-spec"]
    ok = subprocess.run([tool, *schema, str(COMPOSE)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("restart: unless-stopped", "restart: 3", 1))
    bad = subprocess.run([tool, *schema, str(broken)], capture_output=True, text=True, check=False)
    assert bad.returncode != 0, "the schema check can fail"


def test_every_service_command_is_a_real_command() -> None:
    """Each service's entrypoint and command, with --help appended, is accepted."""
    compose = load_compose(COMPOSE, {})
    for name, service in _callstream_services(compose).items():
        entrypoint = service.get("entrypoint") or ["callstream"]
        argv = [*entrypoint, *service["command"], "--help"]
        program = {
            "callstream": [sys.executable, "-m", "callstream_cli"],
            "python": [sys.executable],
        }
        done = subprocess.run(
            [*program[argv[0]], *argv[1:]], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, (name, argv, done.stderr[-2000:])
        assert "usage" in done.stdout.lower(), (name, done.stdout[:500])


def _known_variables(config_path: Path) -> set[str]:
    names = {name.upper() for name in Environment.model_fields}
    names |= {s.token_env for s in load_config(config_path).sources.values() if s.token_env}
    return names | {"CALLSTREAM_HEALTH_PORT"}


def _load_as_service(
    monkeypatch: pytest.MonkeyPatch, service: dict[str, Any], env: dict[str, str]
) -> None:
    for name in list(os.environ):
        if name.startswith(OURS):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CALLSTREAM_CONFIG", str(_config_path(service)))
    with tempfile.TemporaryDirectory() as mounted:
        # The TLS files are mounted into the containers; a start-up checks they exist, so
        # here a stand-in takes each one's place (its contents are read only by librdkafka).
        for name, value in env.items():
            if name.startswith("KAFKA_SSL_") and name.endswith("_LOCATION") and value:
                stand_in = Path(mounted) / name
                stand_in.write_text("stand-in for a mounted file\n")
                monkeypatch.setenv(name, str(stand_in))
        load_settings()


def test_without_a_env_file_every_service_has_what_it_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The dev defaults: every variable is one the code reads, and every requirement is met."""
    compose = load_compose(COMPOSE, {})
    for name, service in _callstream_services(compose).items():
        env = _env_of(service)
        command = (service.get("command") or ["backends"])[0]
        if service.get("entrypoint"):  # the demo backends take no settings
            assert not any(k.startswith(OURS) for k in env), name
            continue
        unknown = {k for k in env if k.startswith(OURS)} - _known_variables(_config_path(service))
        assert not unknown, f"{name} sets variables no code reads: {unknown}"
        assert env["KAFKA_BOOTSTRAP_SERVERS"], name
        assert env["CALLSTREAM_CONFIG"] == CONTAINER_CONFIG, name
        missing = {k for k in REQUIRES[command] if not env.get(k)}
        assert not missing, f"{name} ({command}) needs {missing}"
        _load_as_service(monkeypatch, service, env)


def test_with_the_example_env_no_published_credential_leaks_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Copied as is, .env.example gives no service a dev default, and they refuse to start."""
    example = read_env_file(ROOT / ".env.example")
    compose = load_compose(COMPOSE, example)
    published = {
        credentials.DEV_API_KEY, credentials.DEV_INGRESS_TOKEN, credentials.DEV_SIGNING_SEED,
        credentials.DEV_PUBLIC_KEY, credentials.DEV_CONSOLE_TOKEN,
    }  # fmt: skip
    for name, service in _callstream_services(compose).items():
        env = _env_of(service)
        assert not published & set(env.values()), f"{name} received a published credential"
        if service.get("entrypoint"):
            continue
        with pytest.raises(ConfigError, match="KAFKA_SASL"):
            _load_as_service(monkeypatch, service, env)


def test_with_a_filled_in_env_every_service_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """.env.example with its blanks filled: settings load and requirements are met."""
    example = read_env_file(ROOT / ".env.example")
    filled = {k: v or f"filled-{k.lower()}" for k, v in example.items()}
    filled["TELNYX_PUBLIC_KEY"] = credentials.DEV_PUBLIC_KEY.replace("4", "5")
    filled["CALLSTREAM_EMULATOR_SIGNING_KEY"] = credentials.DEV_SIGNING_SEED.replace("E", "F")
    compose = load_compose(COMPOSE, filled)
    for name, service in _callstream_services(compose).items():
        if service.get("entrypoint"):
            continue
        env = _env_of(service)
        command = service["command"][0]
        assert not {k for k in REQUIRES[command] if not env.get(k)}, name
        assert env["TELNYX_BASE_URL" if command == "injector" else "KAFKA_BOOTSTRAP_SERVERS"]
        _load_as_service(monkeypatch, service, env)


def test_only_the_dev_profile_runs_the_image_with_devkit() -> None:
    """Production services run the Dockerfile's runtime target; the dev profile its dev target."""
    compose = load_compose(COMPOSE, {})
    for name, service in _callstream_services(compose).items():
        dev = name in DEV_PROFILE
        assert service["build"]["target"] == ("dev" if dev else "runtime"), name
        assert (service.get("profiles") == ["dev"]) == dev, name
        assert ("dev" in service["image"]) == dev, name


def test_workers_can_be_scaled_out() -> None:
    """Streams workers and injectors have no fixed name, host port or shared state volume."""
    compose = load_compose(COMPOSE, {})
    for name in ("streams", "injector"):
        service = compose["services"][name]
        assert "container_name" not in service, name
        assert "ports" not in service, name
        named = [v for v in service.get("volumes", []) if v.get("type") == "volume"]
        assert not named, f"{name} shares a named volume between replicas"
    assert "container_name" not in compose["services"]["ingress"]


def test_pipeline_services_start_after_topics_exist() -> None:
    """Ingress, streams and injector wait for the one-shot topic creation to succeed."""
    compose = load_compose(COMPOSE, {})
    for name in ("ingress", "streams", "injector"):
        depends = compose["services"][name]["depends_on"]
        assert depends["topics"]["condition"] == "service_completed_successfully", name
        assert compose["services"][name]["restart"] == "unless-stopped", name
    assert compose["services"]["topics"]["command"] == ["topics", "create"]
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:4.")


def test_dev_defaults_are_the_published_credentials() -> None:
    """Compose's dev defaults are exactly the values services flag, and the keys are a pair."""
    from devkit.emulator.webhooks import WebhookSigner

    services = load_compose(COMPOSE, {})["services"]
    assert services["ingress"]["environment"]["TELNYX_PUBLIC_KEY"] == credentials.DEV_PUBLIC_KEY
    assert services["ingress"]["environment"]["CALLSTREAM_INGRESS_TOKEN"] == (
        credentials.DEV_INGRESS_TOKEN
    )
    assert services["injector"]["environment"]["TELNYX_API_KEY"] == credentials.DEV_API_KEY
    assert services["console"]["environment"]["CALLSTREAM_CONSOLE_TOKEN"] == (
        credentials.DEV_CONSOLE_TOKEN
    )
    seed = services["emulator"]["environment"]["CALLSTREAM_EMULATOR_SIGNING_KEY"]
    assert seed == credentials.DEV_SIGNING_SEED
    assert WebhookSigner.from_seed_b64(seed).public_key_b64 == credentials.DEV_PUBLIC_KEY
