"""Request bodies: read within a size limit, then parsed as one JSON object.

The limit is enforced while the body is read (a declared ``Content-Length``
over it is refused before reading a byte), so no body larger than the limit
is ever held in memory. Parsing uses pydantic's JSON parser, the one every
consumer of the topics uses, so a body accepted here can be read downstream:
strict UTF-8, no ``NaN``, no unpaired surrogates, bounded nesting. Nothing here
publishes; every failure is a ``RequestRejected`` naming what is wrong.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import from_json
from starlette.requests import ClientDisconnect, Request

from ingress.errors import RequestRejected

_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


def _too_large(limit: int) -> RequestRejected:
    return RequestRejected(413, "body_too_large", f"the body exceeds the limit of {limit} bytes")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or ``RequestRejected`` (413) as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise _too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise RequestRejected(400, "client_disconnected", "the body was cut short") from exc
    return b"".join(chunks)


def check_content_type(value: str | None) -> None:
    """Refuse a body declared as anything but JSON (415).

    A missing ``Content-Type`` is accepted, since some webhook senders omit it;
    refusing ``text/plain`` and forms keeps a browser page from posting here
    without a CORS preflight.
    """
    if value is None:
        return
    media = value.partition(";")[0].strip().lower()
    if media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    ):
        return
    raise RequestRejected(
        415, "unsupported_media_type", f"Content-Type must be application/json, not {media[:80]!r}"
    )


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """``raw`` as a JSON object, or ``RequestRejected`` (400) saying why it is not one."""
    if not raw.strip():
        raise RequestRejected(400, "missing_body", "the body is empty; send a JSON object")
    try:
        value = from_json(raw, allow_inf_nan=False)
    except ValueError as exc:
        raise RequestRejected(400, "invalid_json", f"the body is not UTF-8 JSON: {exc}") from exc
    if not isinstance(value, dict):
        kind = _JSON_KINDS.get(type(value), "null")
        raise RequestRejected(
            400, "not_an_object", f"the body is a JSON {kind}; a JSON object is required"
        )
    return value
