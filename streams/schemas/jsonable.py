"""What the Schema Registry deserializers return, as plain JSON values (pure).

Avro logical types come back as ``datetime``, ``date``, ``time``, ``Decimal``
and ``UUID``; ``bytes`` and ``fixed`` as ``bytes``; Protobuf as a message.
The field paths of the config then read the result as they read JSON.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)  # a Decimal as text keeps every digit a float would lose
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, Message):
        return protobuf_dict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"a decoded value of type {type(value).__name__} has no JSON form")


def protobuf_dict(message: Message) -> dict[str, Any]:
    """A Protobuf message as JSON, under the field names of its ``.proto`` (not camelCase)."""
    found: dict[str, Any] = MessageToDict(message, preserving_proto_field_name=True)
    return found


def to_json_bytes(record: Any) -> bytes:
    """``record`` as compact UTF-8 JSON; ``TypeError``/``ValueError`` if JSON cannot hold it."""
    return json.dumps(
        record, default=_default, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()
