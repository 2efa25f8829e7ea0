"""Follow-ups: what becomes a ``followups`` record when a call ends before hearing it, and the
optional SMS to the caller.

A result or event that could not reach its call (the call had ended, or the
injection expired) becomes a follow-up when its source (``tool`` for tool
results, or an enterprise source's name) is listed under ``sources`` and its
event type (the tool's name for tool results) is among that source's
``types`` (all types when ``types`` is absent). By default tool results and
fraud alerts are followed up; CRM and ticket updates are not.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, model_validator

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class FollowupRule(BaseModel):
    """Which undelivered inputs of one source are followed up, and whether they may be texted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    types: list[str] | None = Field(
        default=None, description="event types (tool names for 'tool') followed up; all if unset"
    )
    sms: bool = Field(default=False, description="may a follow-up of this source be texted")
    consent_field: str | None = Field(
        default="sms_consent",
        description=(
            "dotted path whose value must be true (in the tool's arguments or result, or the "
            "event's data) before the caller is texted; null: the business holds consent itself"
        ),
    )

    def covers(self, event_type: str) -> bool:
        return self.types is None or event_type in self.types


class QuietHours(BaseModel):
    """A daily window (local time in ``timezone``) in which no SMS is sent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time
    end: time
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _known_zone(self) -> Self:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone {self.timezone!r} is not a known IANA zone") from exc
        return self


class SmsConfig(BaseModel):
    """The SMS sent to the caller for a follow-up (through the messaging API, by the injector)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = False
    from_number: str | None = Field(
        default=None, description="the E.164 number (or alphanumeric sender) the SMS comes from"
    )
    header: str = Field(
        default="About your call with us just now:",
        max_length=160,
        description="operator text above the data block",
    )
    footer: str = Field(
        default="Reply STOP to opt out.",
        max_length=160,
        description="operator text below the data block",
    )
    max_segments: int = Field(default=3, ge=1, le=10, description="cap on SMS segments")
    quiet_hours: QuietHours | None = None

    @model_validator(mode="after")
    def _sender_when_enabled(self) -> Self:
        if self.enabled and not self.from_number:
            raise ValueError("from_number is required when sms.enabled is true")
        if self.from_number and not (
            _E164.fullmatch(self.from_number)
            or re.fullmatch(r"[A-Za-z0-9 ]{1,11}", self.from_number)
        ):
            raise ValueError("from_number must be E.164 (+15550001111) or an alphanumeric sender")
        return self


DEFAULT_FOLLOWED = ("tool", "fraud")
"""Followed up by default: tool results and fraud alerts (CRM and ticket updates are not)."""


def _default_sources() -> dict[str, FollowupRule]:
    return {name: FollowupRule() for name in DEFAULT_FOLLOWED}


class FollowupsConfig(BaseModel):
    """``followups:`` in the YAML."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    window_s: PositiveFloat = Field(
        default=10.0,
        description="undelivered results of one call within this long after the hangup "
        "become one follow-up",
    )
    sources: dict[str, FollowupRule] = Field(default_factory=_default_sources)
    sms: SmsConfig = SmsConfig()

    def rule(self, source: str, event_type: str) -> FollowupRule | None:
        """The rule following up ``source``'s ``event_type``, or ``None`` when it is not."""
        if not self.enabled:
            return None
        rule = self.sources.get(source)
        return rule if rule is not None and rule.covers(event_type) else None
