"""The ingress's own errors (the whole hierarchy is drawn in ``callstream.errors``)."""

from __future__ import annotations

from callstream.errors import CallstreamError


class WebhookSignatureError(CallstreamError):
    """A webhook's signature, timestamp or signing key did not verify; the message says which."""


class RequestRejected(CallstreamError):
    """An HTTP request the ingress refuses, with the status and error code of its JSON body.

    ``detail`` is shown to the caller, so it never holds a secret or a raw signature.
    """

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
