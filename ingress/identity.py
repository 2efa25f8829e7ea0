"""Ids the ingress assigns: fresh, or derived from the caller's ``Idempotency-Key``.

A sender that retries (Telnyx redelivers a webhook tool call whose answer it
did not see) and sends an ``Idempotency-Key`` gets the same id for the same
(call, target, key), so the retry is the same request downstream, never a
second one. Pure functions.
"""

from __future__ import annotations

import uuid

from callstream.ids import new_message_id, new_request_id

# Fixed forever: changing it would change every derived id and break de-duplication.
_NAMESPACE = uuid.UUID("0d6c4f0e-3c1b-4a8e-9f55-6b1f2d8a7c31")

MAX_IDEMPOTENCY_KEY_LENGTH = 200


def _derived(kind: str, call_control_id: str, target: str, key: str) -> str:
    # Length prefixes keep ("a:b", "c") and ("a", "b:c") apart.
    parts = (kind, call_control_id, target, key)
    return str(uuid.uuid5(_NAMESPACE, "|".join(f"{len(p)}:{p}" for p in parts)))


def tool_request_id(call_control_id: str, tool: str, idempotency_key: str | None) -> str:
    """The ``request_id`` of a tool call: derived from the key when there is one, else fresh."""
    if idempotency_key is None:
        return new_request_id()
    return _derived("tool", call_control_id, tool, idempotency_key)


def supervisor_message_id(call_control_id: str, idempotency_key: str | None) -> str:
    """The ``message_id`` of a supervisor message: derived from the key when there is one."""
    if idempotency_key is None:
        return new_message_id()
    return _derived("supervisor", call_control_id, "", idempotency_key)
