"""The conversation message shape the Add Messages API takes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from callstream.records.base import Record

Role = Literal["system", "user", "assistant", "tool", "developer"]
"""Roles the remote accepts; ``system`` is the one for results and guidance."""

Priority = Literal["low", "normal", "high", "urgent"]
"""How pressing a message is, as its rule in the config says."""


class Message(Record):
    """One message added to a live conversation."""

    role: Role
    content: str = Field(min_length=1)
