"""Every error the ingress answers, as JSON ``{"error": code, "detail": text}`` (README, *Ingress*).

One response shape for the service's own rejections, FastAPI's parameter
validation, Starlette's 404/405 and anything unexpected (500), so a caller
never has to parse HTML or a bare string. ``detail`` never holds a secret, a
token or a signature.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ingress.errors import RequestRejected

log = structlog.get_logger(__name__)

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    503: "unavailable",
}


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: str = Field(description="machine-readable error code, e.g. missing_header")
    detail: str = Field(description="what was wrong, for a person")


def error_response(
    status: int, code: str, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """A JSON error response in the one shape callers see."""
    return JSONResponse(
        {"error": code, "detail": detail}, status_code=status, headers=dict(headers or {})
    )


def validation_problem(errors: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """The error code and detail for FastAPI's parameter-validation errors (first error wins)."""
    if not errors:
        return "bad_request", "the request is malformed"
    first = errors[0]
    loc = [str(part) for part in first.get("loc", ())]
    where, name = (loc[0], loc[-1]) if loc else ("request", "")
    message = str(first.get("msg", "invalid"))
    if first.get("type") == "missing":
        code = f"missing_{where}" if where in {"header", "query"} else "bad_request"
        return code, f"{where} {name} is required"
    if "call_control_id" in name.replace("-", "_"):
        return "invalid_call_control_id", f"{where} {name}: {message.removeprefix('Value error, ')}"
    return "bad_request", f"{where} {name}: {message}"


def _logged(request: Request, status: int, code: str, detail: str) -> None:
    # 503s are logged where they happen (throttled); the rest, one line each, like an access log.
    if status != 503:
        route = getattr(request.scope.get("route"), "path_format", None)
        log.info("request_rejected", status=status, error=code, detail=detail, route=route)


async def _rejected(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestRejected)
    _logged(request, exc.status, exc.code, exc.detail)
    return error_response(exc.status, exc.code, exc.detail, exc.headers)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    code, detail = validation_problem(exc.errors())
    _logged(request, 400, code, detail)
    return error_response(400, code, detail)


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), exc.headers)


async def _unexpected(_: Request, __: Exception) -> JSONResponse:
    # The exception itself is logged by the server; the caller learns nothing internal.
    return error_response(500, "internal", "internal error; the service log has the details")


def install_error_handlers(app: FastAPI) -> None:
    """Make every error ``app`` answers a JSON ``ErrorBody``."""
    app.add_exception_handler(RequestRejected, _rejected)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
