"""The ingress's HTTP routes, one module per endpoint family; each only adapts HTTP to records."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def answer(model: BaseModel, status_code: int) -> Response:
    """``model`` as the JSON response, rendered once by pydantic.

    A route returning a ``Response`` skips FastAPI's second validation and
    encoding of its return value; the route's ``response_model`` still
    documents the shape.
    """
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")
