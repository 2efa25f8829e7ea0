"""Property test of the whole OpenAPI surface: whatever arrives, no 5xx and no undocumented answer.

Schemathesis generates requests from the service's own /openapi.json, valid
and invalid (bodies, headers, paths), sends them over real HTTP to the app
under uvicorn, and checks each response against the document: status
documented, content type and schema as declared, never a server error. The
publisher is in memory: the subject is the HTTP surface, not Kafka. Bounded
(examples per operation) so the run takes seconds.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from schemathesis import GenerationMode, checks

from callstream.testing.http import serve_in_thread
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
EXAMPLES_PER_OPERATION = 60


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
        for operation in operations:
            cases = st.one_of(
                operation.as_strategy(GenerationMode.POSITIVE),
                operation.as_strategy(GenerationMode.NEGATIVE),
            )

            @given(case=cases)
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def answers_well(case: schemathesis.Case) -> None:
                # Valid credentials on every request, so the fuzz reaches the bodies.
                case.call_and_validate(
                    base_url=base_url,
                    headers={"authorization": f"Bearer {TOKEN}"},
                    excluded_checks=LENIENT_BY_DESIGN,
                )

            answers_well()
