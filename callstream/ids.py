"""Identifiers: validated call ids, fresh request ids, deterministic injection ids.

A ``call_control_id`` is opaque, but it is placed into a URL path by the
injector and used as a Kafka key everywhere, so it is validated wherever it
enters, by one rule: at the ingress, and in every record read from Kafka
(``CallControlId`` below), so an id a producer wrote straight to a topic is
held to the same rule as one that came through the ingress. The rule:
printable ASCII from a small alphabet, no ``..``, not ``.`` alone (the official
SDK refuses a ``.`` or ``..`` path segment, so no request could carry it),
bounded length. The injector still percent-encodes it; validation is the first
wall, encoding the second.

Injection ids are derived from their cause, never random, so a replayed input
yields the same id, which the remote API uses as ``command_id`` to drop the
duplicate.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

MAX_CALL_CONTROL_ID_LENGTH = 256

# Telnyx ids look like ``v3:9WnFmY...-Q`` (a version tag and base64url).
_CALL_CONTROL_ID = re.compile(r"[A-Za-z0-9._:=+~-]+")

# Fixed namespace for uuid5; changing it would change every injection id and
# defeat de-duplication across a deploy, so it is a constant forever.
INJECTION_NAMESPACE = uuid.UUID("6f0c8f55-2a3e-4c61-9a51-4d9f3b1e7a20")


def check_call_control_id(value: str) -> str:
    """Return ``value`` if it is a safe call control id, else raise ``ValueError`` saying why."""
    if not value:
        raise ValueError("call_control_id is empty")
    if len(value) > MAX_CALL_CONTROL_ID_LENGTH:
        raise ValueError(
            f"call_control_id is {len(value)} characters; the limit is {MAX_CALL_CONTROL_ID_LENGTH}"
        )
    if not _CALL_CONTROL_ID.fullmatch(value):
        raise ValueError("call_control_id may contain only ASCII letters, digits and . _ : = + ~ -")
    if ".." in value:
        raise ValueError("call_control_id may not contain '..'")
    if value == ".":
        raise ValueError("call_control_id may not be '.' (a dot segment, refused by the SDK)")
    return value


CallControlId = Annotated[str, AfterValidator(check_call_control_id)]
"""A ``call_control_id`` that is safe as a Kafka key and (percent-encoded) as a path segment."""

NonEmptyStr = Annotated[str, StringConstraints(min_length=1, max_length=512)]
"""An identifier field: present, not blank-length, bounded."""


def new_request_id() -> str:
    """A fresh, unique id for a tool request accepted by the ingress."""
    return str(uuid.uuid4())


def new_message_id() -> str:
    """A fresh, unique id for a supervisor message accepted by the ingress."""
    return str(uuid.uuid4())


def injection_id(source: str, cause_id: str) -> str:
    """The deterministic id of the injection caused by ``cause_id`` from ``source``.

    The same (source, cause) always gives the same id, so reprocessing a record
    can never produce a second, different injection.
    """
    # Length-prefixing the source keeps ("a:b", "c") and ("a", "b:c") apart
    # whatever characters either part contains.
    return str(uuid.uuid5(INJECTION_NAMESPACE, f"{len(source)}:{source}:{cause_id}"))


def followup_id(call_control_id: str, first_cause: str) -> str:
    """The deterministic id of a call's follow-up whose window the cause ``first_cause``
    (``{source}:{cause_id}``) opened: a replay that gathers the same window gets the same id."""
    return injection_id("followup", f"{call_control_id}\x00{first_cause}")
