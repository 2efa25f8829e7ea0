"""The injector's own errors (the whole hierarchy is drawn in ``callstream.errors``)."""

from __future__ import annotations

from callstream.errors import CallstreamError


class RemoteError(CallstreamError):
    """The call-control API could not be used."""


class RemoteUnavailable(RemoteError):
    """No reply from the remote: the request timed out or the connection failed; safe to retry.

    ``kind`` is ``"timeout"`` or ``"connection"``; the delivery policy decides by it.
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class CredentialsRejected(RemoteError):
    """The remote answered 401 or 403: the API key is wrong or lacks permission. Not retryable."""
