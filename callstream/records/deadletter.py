"""Dead-letter records: the original bytes unchanged, the why in headers.

Every stage writes to the same ``dlq`` topic; the headers say which stage,
why (a short reason code), the error text, and where the record came from, so
``callstream dlq replay`` can filter and re-drive without parsing bodies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict

Stage = Literal["ingress", "streams", "tool-runner", "injector"]

Reason = Literal[
    # a record that does not decode, at any stage
    "invalid_json",
    "schema",
    "too_large",
    # the streams worker (and its tool runner: no_backend)
    "unknown_source",
    "unknown_call",
    "call_ended",
    "unknown_request",
    "request_timeout",
    "tool_mismatch",
    "template_error",
    "role_refused",
    "rate_limited",
    "misrouted",
    "no_backend",
    "internal_error",
    # the injector's outcomes that end in the DLQ
    "failed",
    "expired",
    "rejected",
    # the injector's follow-up SMS that ends in the DLQ
    "sms_failed",
    "sms_rejected",
]
"""Every reason a stage dead-letters a record with (``callstream dlq replay --reason``)."""

REASONS: tuple[str, ...] = get_args(Reason)

HEADER_PREFIX = "callstream."
STAGE = HEADER_PREFIX + "stage"
REASON = HEADER_PREFIX + "reason"
ERROR = HEADER_PREFIX + "error"
TOPIC = HEADER_PREFIX + "topic"
PARTITION = HEADER_PREFIX + "partition"
OFFSET = HEADER_PREFIX + "offset"
AT = HEADER_PREFIX + "dead-lettered-at"
CALL = HEADER_PREFIX + "call-control-id"

# An error text is for a person reading the DLQ, and a header is not a log file.
MAX_ERROR_CHARS = 2000

Headers = list[tuple[str, bytes]]


class DeadLetter(BaseModel):
    """Why and from where a record was dead-lettered."""

    model_config = ConfigDict(frozen=True)

    stage: Stage
    reason: str
    error: str
    topic: str
    partition: int | None = None
    offset: int | None = None
    at: AwareDatetime
    call_control_id: str | None = None

    def headers(self) -> Headers:
        """The Kafka headers that carry this dead letter's metadata."""
        pairs = [
            (STAGE, self.stage),
            (REASON, self.reason),
            (ERROR, self.error[:MAX_ERROR_CHARS]),
            (TOPIC, self.topic),
            (AT, self.at.isoformat()),
        ]
        if self.partition is not None:
            pairs.append((PARTITION, str(self.partition)))
        if self.offset is not None:
            pairs.append((OFFSET, str(self.offset)))
        if self.call_control_id is not None:
            pairs.append((CALL, self.call_control_id))
        return [(name, value.encode()) for name, value in pairs]

    @classmethod
    def from_headers(cls, headers: Sequence[tuple[str, bytes | None]] | None) -> DeadLetter:
        """Read the metadata back from a DLQ record's headers (``ValueError`` if absent)."""
        found = {
            name: (value or b"").decode(errors="replace")
            for name, value in headers or ()
            if name.startswith(HEADER_PREFIX)
        }
        return cls.model_validate(
            {
                "stage": found.get(STAGE),
                "reason": found.get(REASON),
                "error": found.get(ERROR, ""),
                "topic": found.get(TOPIC),
                "partition": found.get(PARTITION),
                "offset": found.get(OFFSET),
                "at": datetime.fromisoformat(found[AT]) if AT in found else None,
                "call_control_id": found.get(CALL),
            }
        )
