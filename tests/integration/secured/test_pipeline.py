"""The whole pipeline on each secured listener: SASL_SSL (SCRAM-SHA-512) and mutual TLS."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.testing.secured import SecuredBroker
from tests.integration.secured.checks import (
    a_tool_result_reaches_the_call_and_its_dead_letter_replays,
)
from tests.integration.secured.conftest import secured_pipeline


@pytest.mark.parametrize("which", ["scram_broker", "mtls_broker"])
def test_the_pipeline_runs_on_a_secured_listener(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """topics create, ingress, streams, injector and dlq replay, all over TLS with credentials."""
    broker: SecuredBroker = request.getfixturevalue(which)
    with secured_pipeline(broker, tmp_path) as pipeline:
        a_tool_result_reaches_the_call_and_its_dead_letter_replays(pipeline)
