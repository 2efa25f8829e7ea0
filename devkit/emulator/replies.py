"""The bodies the emulator answers with, shaped as the real call-control API shapes them.

Errors are ``{"errors": [{"code", "title", "detail", "meta"?, "source"?}]}``
with the API's documented codes (10009 authentication failed, 10005 not
found, 10015 bad request, 10011 too many requests, 90018 call has already
ended), so a client that parses the real API parses these. One code is the
emulator's own, named so it can never be mistaken for the API's:
``PATH_SEGMENT``, a call id encoded otherwise than the official SDK does.
"""

from __future__ import annotations

import hmac
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

ACCEPTED: dict[str, Any] = {"data": {"result": "ok"}}

CALL_ENDED = "90018"
AUTHENTICATION_FAILED = "10009"
NOT_FOUND = "10005"
BAD_REQUEST = "10015"
TOO_MANY_REQUESTS = "10011"
UNEXPECTED = "10007"
PATH_SEGMENT = "emulator_path_segment"

_TITLES = {
    CALL_ENDED: "Call has already ended",
    AUTHENTICATION_FAILED: "Authentication failed",
    NOT_FOUND: "Resource not found",
    BAD_REQUEST: "Bad Request",
    TOO_MANY_REQUESTS: "Too many requests",
    UNEXPECTED: "Unexpected error",
    PATH_SEGMENT: "Call id not encoded as the official SDK encodes it",
}

# A status a fault rule answers with, and the code the real API pairs with it.
_CODE_FOR_STATUS = {401: AUTHENTICATION_FAILED, 404: NOT_FOUND, 429: TOO_MANY_REQUESTS}


def error_body(code: str, detail: str, *, pointer: str | None = None) -> dict[str, Any]:
    """One error in the API's envelope."""
    error: dict[str, Any] = {
        "code": code,
        "title": _TITLES.get(code, "Error"),
        "detail": detail,
        "meta": {"url": f"https://developers.telnyx.com/docs/overview/errors/{code}"},
    }
    if pointer is not None:
        error["source"] = {"pointer": pointer}
    return {"errors": [error]}


def error_response(
    status: int,
    code: str,
    detail: str,
    *,
    pointer: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, detail, pointer=pointer), status, headers=headers)


def fault_response(status: int, retry_after: str | None) -> JSONResponse:
    """The answer of a fault rule: the status, an error body, and ``Retry-After`` if set."""
    headers = {"Retry-After": retry_after} if retry_after is not None else None
    code = _CODE_FOR_STATUS.get(status, UNEXPECTED if status >= 500 else BAD_REQUEST)
    return error_response(status, code, "injected by the emulator's fault rules", headers=headers)


def authorized(request: Request, api_key: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.strip().encode(), api_key.encode())


def validation_reply(exc: ValidationError) -> JSONResponse:
    first = exc.errors(include_url=False, include_input=False)[0]
    pointer = "/" + "/".join(str(part) for part in first["loc"])
    return error_response(422, BAD_REQUEST, first["msg"], pointer=pointer)


def unauthorized() -> JSONResponse:
    """The 401 the real API answers when the bearer key is missing or wrong."""
    return error_response(
        401,
        AUTHENTICATION_FAILED,
        "The required authentication headers were either invalid or not included.",
    )
