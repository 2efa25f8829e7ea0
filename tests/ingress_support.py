"""Settings for ingress tests, built without reading the developer's environment."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from callstream.config import AppConfig
from callstream.settings import Environment, Settings

# Nothing listens on port 9 (discard) on loopback: a broker that never answers.
NO_BROKER = "127.0.0.1:9"


def make_settings(
    *,
    bootstrap: str = NO_BROKER,
    prefix: str = "t.",
    ingress_token: str | None = None,
    public_key: str | None = None,
    source_tokens: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
) -> Settings:
    """Settings as ``load_settings`` would build them, from explicit values only."""
    env = Environment(
        kafka_bootstrap_servers=bootstrap,
        kafka_security_protocol="PLAINTEXT",
        callstream_topic_prefix=prefix,
        callstream_ingress_token=SecretStr(ingress_token) if ingress_token else None,
        telnyx_public_key=public_key,
        callstream_config=None,
    )
    tokens = {name: SecretStr(token) for name, token in (source_tokens or {}).items()}
    return Settings(env=env, config=AppConfig.model_validate(config or {}), source_tokens=tokens)
