"""FastAPI's parameter errors become the service's own error codes."""

from __future__ import annotations

from typing import Any

import pytest

from ingress.problems import validation_problem


@pytest.mark.parametrize(
    ("errors", "code", "detail"),
    [
        (
            [{"type": "missing", "loc": ("header", "x-telnyx-call-control-id"), "msg": "x"}],
            "missing_header",
            "header x-telnyx-call-control-id is required",
        ),
        (
            [
                {
                    "type": "value_error",
                    "loc": ("header", "x-telnyx-call-control-id"),
                    "msg": "Value error, call_control_id may not contain '..'",
                }
            ],
            "invalid_call_control_id",
            "header x-telnyx-call-control-id: call_control_id may not contain '..'",
        ),
        (
            [
                {
                    "type": "value_error",
                    "loc": ("path", "call_control_id"),
                    "msg": "Value error, call_control_id is empty",
                }
            ],
            "invalid_call_control_id",
            "path call_control_id: call_control_id is empty",
        ),
        (
            [
                {
                    "type": "string_too_long",
                    "loc": ("header", "idempotency-key"),
                    "msg": "String should have at most 200 characters",
                }
            ],
            "bad_request",
            "header idempotency-key: String should have at most 200 characters",
        ),
        ([], "bad_request", "the request is malformed"),
    ],
)
def test_validation_errors_map_to_codes(
    errors: list[dict[str, Any]], code: str, detail: str
) -> None:
    """Missing header, bad call id, other constraint: each its code, the first error wins."""
    assert validation_problem(errors) == (code, detail)
