"""No secret leaves the pipeline: not in a log line, an error body or a metric.

The stack runs with secret values known to this test (tokens, the remote's
API key, the emulator's signing seed), plays the reference scenario, sends
hostile requests that put the secrets where a careless service would echo
them, and then reads every service's whole log, every error body and every
``/metrics`` page for each secret. A sentinel check shows the search would
find a secret where one is known to be written (the stack's env file).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from devkit.dev import scenario
from devkit.dev.pipeline import LocalPipeline
from devkit.dev.player import ScenarioPlayer, Target
from devkit.testing.broker import BrokerHandle
from tests.integration.e2e.conftest import running_pipeline

RUN = uuid.uuid4().hex
INGRESS_TOKEN = f"ingress-secret-{RUN}"
FRAUD_TOKEN = f"fraud-secret-{RUN}"
CONSOLE_TOKEN = f"console-secret-{RUN}"
REPLAY_TOKEN = f"replay-secret-{RUN}"
SERVICES = ("ingress", "streams", "injector", "emulator", "console")
WITH_METRICS = ("ingress", "streams", "injector", "console")


@pytest.fixture(scope="module")
def secret_pipeline(
    kafka_broker: BrokerHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalPipeline]:
    """The pipeline, with tokens this test knows."""
    env = {
        "CALLSTREAM_INGRESS_TOKEN": INGRESS_TOKEN,
        "CALLSTREAM_TOKEN_FRAUD": FRAUD_TOKEN,
        "CALLSTREAM_CONSOLE_TOKEN": CONSOLE_TOKEN,
        "CALLSTREAM_CONSOLE_REPLAY_TOKEN": REPLAY_TOKEN,
    }
    state = Path(tmp_path_factory.mktemp("dev"))
    with running_pipeline(kafka_broker, state, env, console=True) as running:
        yield running


def _secrets(pipeline: LocalPipeline) -> dict[str, str]:
    return {
        "CALLSTREAM_INGRESS_TOKEN": INGRESS_TOKEN,
        "CALLSTREAM_TOKEN_FRAUD": FRAUD_TOKEN,
        "CALLSTREAM_CONSOLE_TOKEN": CONSOLE_TOKEN,
        "CALLSTREAM_CONSOLE_REPLAY_TOKEN": REPLAY_TOKEN,
        "TELNYX_API_KEY": pipeline.env["TELNYX_API_KEY"],
        "CALLSTREAM_EMULATOR_SIGNING_KEY": pipeline.env["CALLSTREAM_EMULATOR_SIGNING_KEY"],
    }


def _hostile_requests(target: Target, secrets: dict[str, str]) -> list[httpx.Response]:
    """Requests that carry secrets where an error message or log line might repeat them."""
    api_key, seed = secrets["TELNYX_API_KEY"], secrets["CALLSTREAM_EMULATOR_SIGNING_KEY"]
    fraud = scenario.fraud_alert(scenario.Persona.numbered(7), RUN, datetime.now(UTC))
    good = {"authorization": f"Bearer {INGRESS_TOKEN}"}
    # The right token, and a call id made of a secret that fails validation.
    bad_call = good | {"x-telnyx-call-control-id": f"v3:{api_key}/x"}
    # One source's token (almost) presented to another source.
    wrong_source = {"authorization": f"Bearer {FRAUD_TOKEN}x"}
    # A signature header that is the signing seed itself.
    seed_as_signature = {"telnyx-signature-ed25519": seed, "telnyx-timestamp": "0"}
    fraud_auth = {"authorization": f"Bearer {FRAUD_TOKEN}"}
    with httpx.Client(base_url=target.ingress_url, timeout=30) as http:
        return [
            http.post("/tools/lookup_order_status", json={}, headers=bad_call),
            http.post("/events/crm", json={"event_id": "e"}, headers=wrong_source),
            # A well-formed fraud event with its own token: accepted, and logged as such.
            http.post("/events/fraud", json=fraud, headers=fraud_auth),
            http.post("/webhooks/telnyx", json={"data": {}}, headers=seed_as_signature),
            # A secret in the path, percent-encoded slash and all, and one in the body.
            http.post(f"/calls/v3:{api_key}%2Fx/messages", json={"content": seed}, headers=good),
        ]


def _hostile_console_requests(pipeline: LocalPipeline) -> list[httpx.Response]:
    """Almost-right console tokens, as a bearer token and through the login form."""
    with httpx.Client(base_url=pipeline.console_url, timeout=30) as http:
        return [
            http.get("/", headers={"authorization": f"Bearer {CONSOLE_TOKEN}x"}),
            http.post("/login", data={"token": f"{REPLAY_TOKEN}x"}),
        ]


def _metrics(pipeline: LocalPipeline) -> list[str]:
    pages = [pipeline.stack[name].service.url("/metrics") for name in WITH_METRICS]
    texts = []
    for url in pages:
        response = httpx.get(url, timeout=30)
        assert response.status_code == 200, url
        texts.append(response.text)
    return texts


def test_no_secret_in_any_log_line_error_body_or_metric(secret_pipeline: LocalPipeline) -> None:
    """After a full scenario and hostile requests, no secret value appears anywhere readable."""
    pipeline, target = secret_pipeline, secret_pipeline.target
    secrets = _secrets(pipeline)
    outcome = ScenarioPlayer(target, timeout_s=90).play()
    assert outcome.problems == []
    responses = _hostile_requests(target, secrets) + _hostile_console_requests(pipeline)
    assert [r.status_code for r in responses] == [400, 401, 202, 401, 400, 303, 401]

    logs = {run.service.name: "\n".join(run.log_lines()) for run in pipeline.stack.running}
    assert [name for name in SERVICES if not logs.get(name, "").strip()] == [], "no log to read"
    places = (
        {f"log of {name}": text for name, text in logs.items()}
        | {f"body of hostile request {n}": r.text for n, r in enumerate(responses)}
        | {f"metrics page {n}": text for n, text in enumerate(_metrics(pipeline))}
    )
    leaks = [
        f"{name} in {place}"
        for place, text in places.items()
        for name, value in secrets.items()
        if value in text
    ]
    assert leaks == []

    # The sentinel: the same search does find a secret where the stack writes one on purpose.
    assert INGRESS_TOKEN in pipeline.env_file.read_text()
