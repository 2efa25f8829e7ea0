"""Property test of the whole OpenAPI surface: whatever arrives, no 5xx and no undocumented answer.

Schemathesis generates requests from the service's own /openapi.json, valid
and invalid (bodies, headers, paths), sends them over real HTTP to the app
under uvicorn, and checks each response against the document: status
documented, content type and schema as declared, never a server error. The
publisher is in memory: the subject is the HTTP surface, not Kafka. Bounded:
``CALLSTREAM_FUZZ_CASES`` requests in all (default 2,000, about half a minute;
``make chaos`` runs more), spread over the operations that take input; the
test counts the requests actually sent and fails if fewer went out.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from schemathesis import GenerationMode, checks

from devkit.testing.http import serve_in_thread
from ingress.app import create_app, ingress_topics
from ingress.metrics import IngressMetrics
from ingress.testing import MemoryPublisher
from tests.ingress_support import make_settings
from tests.integration.ingress.conftest import wait_ready

TOKEN = "fuzz-token-1"
# ignored_auth resends the test's own credentials and calls that "no auth" (auth has its
# own tests). negative_data_rejection wants every schema-invalid request refused; the
# ingress deliberately takes some of them: a webhook naming no call is acknowledged
# whatever else it holds (Telnyx would retry a refusal forever), and timestamps are read
# in every form pydantic reads, as the topics' consumers do.
LENIENT_BY_DESIGN = [checks.ignored_auth, checks.negative_data_rejection]
CASES = int(os.environ.get("CALLSTREAM_FUZZ_CASES", "2000"))
# GET /healthz, /readyz and /metrics take no input: a handful of cases exhausts them.
NO_INPUT_EXAMPLES = 10


def test_no_request_crashes_the_ingress() -> None:
    """Any generated request gets a documented, well-formed answer and never a 5xx."""
    config = make_settings(
        ingress_token=TOKEN,
        source_tokens={"crm": TOKEN},
        config={
            "sources": {"crm": {"topic": "crm.events"}},
            # Off so that fuzzed webhook bodies reach the parser and the normaliser.
            "ingress": {"verify_signatures": False},
        },
    )
    # Every topic exists, so /readyz answers 200 (a 503 there would be a "server error").
    publisher = MemoryPublisher(topics=frozenset(ingress_topics(config.topics)))
    app = create_app(config, publisher, metrics=IngressMetrics.create(CollectorRegistry()))
    with serve_in_thread(app) as base_url:
        wait_ready(base_url)
        schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == 7
        with_input = [op for op in operations if op.method.upper() == "POST"]
        per_operation = -(-CASES // len(with_input))  # ceiling: at least CASES in all
        sent = 0
        for operation in operations:
            examples = per_operation if operation in with_input else NO_INPUT_EXAMPLES
            cases = st.one_of(
                operation.as_strategy(GenerationMode.POSITIVE),
                operation.as_strategy(GenerationMode.NEGATIVE),
            )

            @given(case=cases)
            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def answers_well(case: schemathesis.Case) -> None:
                nonlocal sent
                sent += 1
                # Valid credentials on every request, so the fuzz reaches the bodies.
                case.call_and_validate(
                    base_url=base_url,
                    headers={"authorization": f"Bearer {TOKEN}"},
                    excluded_checks=LENIENT_BY_DESIGN,
                )

            answers_well()
        assert sent >= CASES, f"only {sent} requests were generated; wanted {CASES}"
