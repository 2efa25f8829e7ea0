"""The base of every Kafka record, and the one place records become bytes and back.

Records are JSON, UTF-8. Unknown fields are ignored so producers can add
fields without breaking older consumers; missing or mistyped fields are a
``RecordError`` with a reason code fit for a dead-letter header. Decoding never
raises anything else, whatever bytes arrive.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from callstream.errors import RecordError

# Kafka's default max.message.bytes is 1 MiB; anything larger could not have
# been produced by us and is refused before JSON parsing spends time on it.
MAX_RECORD_BYTES = 1024 * 1024


class Record(BaseModel):
    """A Kafka record value: immutable, JSON, forward-compatible."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


R = TypeVar("R", bound=Record)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (every record timestamp is)."""
    return datetime.now(UTC)


def encode(record: Record) -> bytes:
    """Serialise a record to its wire form (compact UTF-8 JSON, field aliases applied)."""
    return record.model_dump_json(by_alias=True).encode()


def decode(model: type[R], raw: bytes | None) -> R:
    """Parse ``raw`` as a ``model`` record or raise ``RecordError`` saying what is wrong."""
    if raw is None:
        raise RecordError("schema", f"{model.__name__}: record has no value")
    if len(raw) > MAX_RECORD_BYTES:
        raise RecordError(
            "too_large", f"{model.__name__}: {len(raw)} bytes exceeds {MAX_RECORD_BYTES}"
        )
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise record_error(model.__name__, exc) from exc


def record_error(name: str, exc: ValidationError) -> RecordError:
    """Turn a pydantic error into a ``RecordError`` listing each bad field on one line."""
    errors = exc.errors(include_url=False, include_input=False)
    if any(err["type"] == "json_invalid" for err in errors):
        return RecordError("invalid_json", f"{name}: not valid UTF-8 JSON")
    parts = []
    for err in errors[:10]:
        where = ".".join(str(loc) for loc in err["loc"]) or "(record)"
        parts.append(f"{where}: {err['msg']}")
    more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
    return RecordError("schema", f"{name}: " + "; ".join(parts) + more)
