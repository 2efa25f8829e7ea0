"""The ACL list: the README's table is rendered from it, and it names every topic each service
touches (the secured integration test proves the rules suffice)."""

from __future__ import annotations

from pathlib import Path

from callstream.kafka.acls import SERVICES, acl_table, documented_acls, service_acls
from callstream.topics import Topics, topic_specs

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_readme_table_is_the_rendered_list() -> None:
    """Changing the ACLs without the README (or the reverse) fails here."""
    text = README.read_text()
    start = text.index("<!-- acl-table:")
    start = text.index("\n", start) + 1
    end = text.index("<!-- /acl-table -->")
    assert text[start:end] == acl_table(documented_acls())


def test_every_topic_is_read_and_written_by_someone() -> None:
    """No topic callstream creates is left out of the list (the deliveries' readers and the
    DLQ's are the operator's, and the tool results may come from the enterprise too)."""
    topics = Topics(prefix="p.", sources={"crm": "crm.events"})
    acls = service_acls(topics, streams_group="p.streams", injector_group="p.injector")
    named = {a.name for rules in acls.values() for a in rules if a.resource == "topic"}
    assert {spec.name for spec in topic_specs(topics, partitions=1, replication_factor=1)} <= named
    assert set(acls) == set(SERVICES)


def test_transactional_ids_only_for_exactly_once() -> None:
    topics = Topics(prefix="p.")
    kinds = {
        once: {
            a.resource
            for a in service_acls(
                topics, streams_group="p.streams", injector_group="p.injector", exactly_once=once
            )["streams"]
        }
        for once in (True, False)
    }
    assert "transactional-id" in kinds[True]
    assert "transactional-id" not in kinds[False]
