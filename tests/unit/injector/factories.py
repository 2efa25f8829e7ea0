"""Records the injector tests build, with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from callstream.ids import injection_id
from callstream.records import Injection, Message

T0 = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


def make_injection(
    call: str = "v3:call-1", cause: str = "req-1", text: str = "[ORDER] shipped", **changes: Any
) -> Injection:
    fields: dict[str, Any] = {
        "injection_id": injection_id("tool-results", cause),
        "call_control_id": call,
        "messages": [Message(role="system", content=text)],
        "trigger_response": True,
        "source": "tool-results",
        "cause_id": cause,
        "created_at": T0,
        "expires_at": T0 + timedelta(minutes=5),
        "cause_at": T0 - timedelta(seconds=1),
    }
    return Injection.model_validate(fields | changes)
