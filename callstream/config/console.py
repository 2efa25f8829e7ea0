"""The console's section of the config: where it listens, how far back and how much it keeps."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt


class ConsoleConfig(BaseModel):
    """``callstream console``: the read-side view of live calls (README, *Console*)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8003, ge=0, le=65535)
    lookback_s: PositiveFloat = Field(
        default=3600.0,
        description=(
            "on start, how far back each topic is read (by record timestamp) to rebuild the view"
        ),
    )
    max_calls: PositiveInt = Field(
        default=5_000, description="calls kept in memory, live and ended; the least recent go first"
    )
    max_ended_calls: PositiveInt = Field(
        default=500, description="recently ended calls kept (the oldest ended go first)"
    )
    ended_keep_s: PositiveFloat = Field(
        default=1800.0, description="how long an ended call stays on the Calls page"
    )
    idle_forget_s: PositiveFloat = Field(
        default=4 * 3600.0,
        description="a call with no record for this long is forgotten (its hangup was lost)",
    )
    max_entries_per_call: PositiveInt = Field(
        default=300, description="timeline entries kept per call; later ones are counted only"
    )
    max_dead_letters: PositiveInt = Field(
        default=1_000, description="dead letters kept on the Dead letters page (newest)"
    )
    latency_window_s: PositiveFloat = Field(
        default=300.0, description="the latency panel's window: deliveries this recent"
    )
    secure_cookie: bool = Field(
        default=False,
        description="mark the login cookie Secure: true wherever the console is served over HTTPS",
    )
    hide_contents: list[str] = Field(
        default_factory=list,
        description=(
            "inputs whose message contents are never shown (PII): source names, "
            "'tool' (tool arguments and results), 'supervisor'"
        ),
    )
