"""Call id validation and deterministic injection ids."""

from __future__ import annotations

import pytest

from callstream.ids import check_call_control_id, injection_id, new_request_id


@pytest.mark.parametrize(
    "value",
    [
        "v3:abc123def456",
        "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg",
        "call-1",
        "a.b",
        ".a",
        "a.",
        "x" * 256,
    ],
)
def test_accepts_real_call_ids(value: str) -> None:
    """Telnyx-style ids and other plain tokens pass unchanged."""
    assert check_call_control_id(value) == value


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "empty"),
        ("v3:abc/def", "only ASCII"),
        ("..", "'..'"),
        (".", "'.'"),
        ("v3:a..b", "'..'"),
        ("v3:abc\r\nX-Injected: 1", "only ASCII"),
        ("v3:abc\x00", "only ASCII"),
        ("v3:abc def", "only ASCII"),
        ("v3:\u0430bc", "only ASCII"),  # Cyrillic small a, a look-alike
        ("%2Fadmin", "only ASCII"),
        ("x" * 257, "limit is 256"),
    ],
)
def test_rejects_unsafe_call_ids(value: str, why: str) -> None:
    """Anything that could escape a path segment or a header is refused with a reason."""
    with pytest.raises(ValueError, match=why):
        check_call_control_id(value)


def test_injection_id_is_deterministic() -> None:
    """The same cause always yields the same injection id."""
    assert injection_id("tool", "req-1") == injection_id("tool", "req-1")


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (("tool", "req-1"), ("tool", "req-2")),
        (("tool", "req-1"), ("crm", "req-1")),
        (("a:b", "c"), ("a", "b:c")),
    ],
)
def test_injection_ids_of_different_causes_differ(
    left: tuple[str, str], right: tuple[str, str]
) -> None:
    """Different (source, cause) pairs never share an id, even when their texts join alike."""
    assert injection_id(*left) != injection_id(*right)


def test_request_ids_are_unique() -> None:
    """Fresh request ids do not repeat."""
    assert len({new_request_id() for _ in range(1000)}) == 1000
