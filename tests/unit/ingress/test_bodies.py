"""Bodies are one JSON object as every consumer would parse it, declared as JSON or undeclared."""

from __future__ import annotations

import pytest

from ingress.bodies import check_content_type, parse_json_object
from ingress.errors import RequestRejected


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        (b'{"order_id": "ORD-1"}', {"order_id": "ORD-1"}),
        (b"  {}\n", {}),
        ('{"naïve": "café"}'.encode(), {"naïve": "café"}),
        (b'{"n": 12345678901234567890123}', {"n": 12345678901234567890123}),
        (b'{"a": {"b": [1, 2.5, null, true]}}', {"a": {"b": [1, 2.5, None, True]}}),
    ],
)
def test_json_objects_are_accepted(raw: bytes, parsed: dict[str, object]) -> None:
    """Any JSON object, nested or empty, with non-ASCII text and big integers."""
    assert parse_json_object(raw) == parsed


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "missing_body"),
        (b"  \n", "missing_body"),
        (b"order_id=1", "invalid_json"),
        (b'{"a": 1', "invalid_json"),
        (b'{"a": 1} {"b": 2}', "invalid_json"),
        (b'{"a": NaN}', "invalid_json"),
        (b'{"a": Infinity}', "invalid_json"),
        (b'{"a": "\\ud800"}', "invalid_json"),
        (b"\xef\xbb\xbf{}", "invalid_json"),
        (b'{"a": "\xff"}', "invalid_json"),
        ('{"a": 1}'.encode("utf-16"), "invalid_json"),
        (b"[" * 5000, "invalid_json"),
        (b"[1, 2]", "not_an_object"),
        (b'"text"', "not_an_object"),
        (b"42", "not_an_object"),
        (b"null", "not_an_object"),
        (b"true", "not_an_object"),
    ],
)
def test_anything_else_is_a_400_with_a_precise_code(raw: bytes, code: str) -> None:
    """Empty, not JSON, not UTF-8, NaN, lone surrogates, too deep, or not an object."""
    with pytest.raises(RequestRejected) as caught:
        parse_json_object(raw)
    assert (caught.value.status, caught.value.code) == (400, code)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/vnd.telnyx+json",
    ],
)
def test_json_or_undeclared_content_is_read(content_type: str | None) -> None:
    """JSON media types, any case or parameters, and a missing header pass."""
    check_content_type(content_type)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
def test_other_media_types_are_415(content_type: str) -> None:
    """What a browser can send without a preflight is refused."""
    with pytest.raises(RequestRejected) as caught:
        check_content_type(content_type)
    assert (caught.value.status, caught.value.code) == (415, "unsupported_media_type")
