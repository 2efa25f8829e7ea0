"""Who may see the console: a bearer token, or a login cookie derived from it.

Two tokens: ``CALLSTREAM_CONSOLE_TOKEN`` reads, ``CALLSTREAM_CONSOLE_REPLAY_TOKEN``
reads and may replay dead letters. The cookie holds an HMAC of the token, not
the token, so a cookie leaked from a browser is not the token an API client
uses (and it stops working when the token is rotated). Comparisons are
constant-time. Nothing here logs or returns a token.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

Right = Literal["read", "replay"]

COOKIE = "callstream_console"
_SESSION_CONTEXT = b"callstream-console-session-v1"


def session_value(token: SecretStr) -> str:
    """The login cookie's value for ``token``."""
    secret = token.get_secret_value().encode()
    return hmac.new(secret, _SESSION_CONTEXT, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Access:
    read_token: SecretStr
    replay_token: SecretStr | None = None

    def _grants(self) -> list[tuple[Right, SecretStr]]:
        found: list[tuple[Right, SecretStr]] = []
        if self.replay_token is not None:
            found.append(("replay", self.replay_token))
        found.append(("read", self.read_token))
        return found

    def by_token(self, presented: str) -> Right | None:
        """The right a presented token grants, if any."""
        for right, token in self._grants():
            if hmac.compare_digest(presented.encode(), token.get_secret_value().encode()):
                return right
        return None

    def by_cookie(self, value: str) -> Right | None:
        """The right a login cookie grants, if any."""
        for right, token in self._grants():
            if hmac.compare_digest(value.encode(), session_value(token).encode()):
                return right
        return None

    def of(self, authorization: str | None, cookie: str | None) -> Right | None:
        """The right of a request: its ``Authorization: Bearer`` header, else its cookie."""
        if authorization:
            scheme, _, credentials = authorization.partition(" ")
            return self.by_token(credentials.strip()) if scheme.lower() == "bearer" else None
        return self.by_cookie(cookie) if cookie else None
