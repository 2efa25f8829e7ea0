"""The whole pipeline on each secured listener (SASL_SSL with SCRAM-SHA-512, and mutual TLS), as
three users (ingress, streams, injector) holding only the README's ACLs.

``callstream topics create`` and ``callstream dlq replay`` run as ``admin``.
The ACLs are ``callstream.kafka.acls.service_acls`` for this run's topics and
groups, the rules the README's table is rendered from; ``admin`` (a super
user) grants them through the Admin API. The streams worker runs
``exactly_once``, so its transactional ids are exercised too. A SCRAM user's
principal is its name; a client certificate's is its CN (the broker's
principal mapping), so the same rules serve both listeners.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient

# Documented in confluent_kafka.admin, whose stubs do not re-export them; defined (typed) here.
from confluent_kafka.admin._acl import AclBinding, AclOperation, AclPermissionType
from confluent_kafka.admin._resource import ResourcePatternType, ResourceType

from callstream.kafka import admin_config, producer_config
from callstream.kafka.acls import SERVICES, Acl, service_acls
from callstream.topics import Topics
from devkit.testing.secured import SecuredBroker
from tests.integration.secured.checks import (
    a_tool_result_reaches_the_call_and_its_dead_letter_replays,
)
from tests.integration.secured.conftest import new_prefix, pipeline_config, secured_pipeline

_RESOURCE = {
    "topic": ResourceType.TOPIC,
    "group": ResourceType.GROUP,
    "transactional-id": ResourceType.TRANSACTIONAL_ID,
}
_PATTERN = {"literal": ResourcePatternType.LITERAL, "prefixed": ResourcePatternType.PREFIXED}


def _binding(user: str, acl: Acl) -> AclBinding:
    return AclBinding(
        _RESOURCE[acl.resource],
        acl.name,
        _PATTERN[acl.pattern],
        f"User:{user}",
        "*",
        AclOperation[acl.operation],
        AclPermissionType.ALLOW,
    )


def _grant(broker: SecuredBroker, prefix: str) -> list[AclBinding]:
    """Grant each service's user exactly its ACLs for the topics and groups under ``prefix``."""
    config = pipeline_config(prefix, exactly_once=True)
    topics = Topics(prefix, {name: spec.topic for name, spec in config.sources.items()})
    acls = service_acls(
        topics,
        streams_group=f"{prefix}streams",
        injector_group=config.injector.group_id or f"{prefix}injector",
    )
    bindings = [_binding(user, acl) for user in SERVICES for acl in acls[user]]
    admin = AdminClient(admin_config(broker.conn(), "test-acls"))
    for future in admin.create_acls(bindings, request_timeout=30).values():
        future.result()
    return bindings


def _refused(broker: SecuredBroker, user: str, topic: str) -> bool:
    """Whether the broker refuses ``user`` a write to ``topic``."""
    errors: list[KafkaError | None] = []
    producer = Producer(
        producer_config(broker.conn(user), "test-acls-probe", {"message.timeout.ms": 15000})
    )
    producer.produce(topic, b"x", on_delivery=lambda err, _: errors.append(err))
    producer.flush(20)
    return (
        bool(errors)
        and errors[0] is not None
        and (errors[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED)
    )


@pytest.mark.parametrize("which", ["scram_broker", "mtls_broker"])
def test_three_users_with_only_their_acls_run_the_pipeline(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A tool result reaches the call and the call's dead letter is replayed; each service's
    user is refused beyond its ACLs."""
    broker: SecuredBroker = request.getfixturevalue(which)
    prefix = new_prefix()
    granted = _grant(broker, prefix)
    service_env = {user: broker.env(user) for user in SERVICES}
    with secured_pipeline(
        broker, tmp_path, prefix=prefix, service_env=service_env, exactly_once=True
    ) as pipeline:
        a_tool_result_reaches_the_call_and_its_dead_letter_replays(pipeline)
        topics = pipeline.topics
    assert len(granted) > 20
    # The authorizer is really on: each user is refused beyond its ACLs.
    assert _refused(broker, "ingress", topics.injections)
    assert _refused(broker, "injector", topics.tool_calls)
    assert _refused(broker, "streams", topics.deliveries)
