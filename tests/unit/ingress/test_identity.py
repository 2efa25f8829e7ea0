"""Ids derived from an Idempotency-Key repeat for a retry and differ for anything else."""

from __future__ import annotations

import uuid

from ingress.identity import supervisor_message_id, tool_request_id


def test_a_retry_with_the_same_key_gets_the_same_request_id() -> None:
    """Same call, tool and key: the same id, a valid UUID."""
    first = tool_request_id("v3:call", "lookup", "key-1")
    assert first == tool_request_id("v3:call", "lookup", "key-1")
    assert uuid.UUID(first).version == 5


def test_each_part_of_the_request_changes_the_id() -> None:
    """Another call, tool or key, or a different split of the same text: another id."""
    ids = {
        tool_request_id("v3:call", "lookup", "key-1"),
        tool_request_id("v3:other", "lookup", "key-1"),
        tool_request_id("v3:call", "points", "key-1"),
        tool_request_id("v3:call", "lookup", "key-2"),
        tool_request_id("v3:call:lookup", "", "key-1"),
        supervisor_message_id("v3:call", "key-1"),
    }
    assert len(ids) == 6


def test_without_a_key_every_request_is_new() -> None:
    """No key: fresh random ids, never equal."""
    assert tool_request_id("v3:c", "t", None) != tool_request_id("v3:c", "t", None)
    assert supervisor_message_id("v3:c", None) != supervisor_message_id("v3:c", None)
