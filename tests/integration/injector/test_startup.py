"""Start-up refuses a cluster without callstream's topics, naming them and the fix."""

from __future__ import annotations

import pytest

from callstream.errors import TopicError
from callstream.kafka import KafkaConnection
from callstream.topics import Topics
from injector.main import InjectorApp
from tests.integration.injector.harness import settings_for


def test_missing_topics_are_named_with_the_command_that_makes_them(
    kafka_conn: KafkaConnection, topic_prefix: str
) -> None:
    """No injections/deliveries/dlq topics: a TopicError saying `callstream topics create`."""
    settings = settings_for(
        kafka_conn, Topics(prefix=topic_prefix), base_url="http://127.0.0.1:9/v2", api_key="k" * 8
    )
    app = InjectorApp(settings)
    try:
        with pytest.raises(TopicError, match="callstream topics create") as raised:
            app.prepare()
        assert f"{topic_prefix}injections" in str(raised.value)
    finally:
        app.close()
