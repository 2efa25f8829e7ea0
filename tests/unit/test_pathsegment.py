"""The call id's path segment is the official SDK's, byte for byte, and is read back strictly."""

from __future__ import annotations

import pytest
from telnyx._utils._path import _quote_path_segment_part, path_template

from callstream.pathsegment import decode_segment, encode_segment
from tests.call_ids import HOSTILE, REFUSED_BY_THE_SDK, VALID

ADD_MESSAGES = "/calls/{call_control_id}/actions/ai_assistant_add_messages"
EVERY = VALID | HOSTILE


@pytest.mark.parametrize("name", list(EVERY))
def test_the_segment_is_the_sdks(name: str) -> None:
    """The SDK's own encoder, and the path its add-messages method builds, give the same bytes."""
    value = EVERY[name]
    assert encode_segment(value) == _quote_path_segment_part(value)
    assert f"/calls/{encode_segment(value)}/actions/ai_assistant_add_messages" == path_template(
        ADD_MESSAGES, call_control_id=value
    )


@pytest.mark.parametrize("name", list(VALID))
def test_an_id_the_rule_accepts_is_sent_as_it_is(name: str) -> None:
    """Every character the id rule allows is one the SDK keeps: ``v3:abc`` stays ``v3:abc``."""
    assert encode_segment(VALID[name]) == VALID[name]


@pytest.mark.parametrize("name", list(REFUSED_BY_THE_SDK))
def test_what_the_sdk_refuses_is_refused(name: str) -> None:
    """Empty, dot segments and text that is not UTF-8-encodable never become a segment."""
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        encode_segment(REFUSED_BY_THE_SDK[name])


@pytest.mark.parametrize("name", list(EVERY))
def test_decoding_reverses_encoding(name: str) -> None:
    """What the SDK sends decodes back to the id it was given."""
    assert decode_segment(encode_segment(EVERY[name])) == EVERY[name]


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("v3%3Aabc", "not 'v3%3Aabc'"),  # quote(safe=""): what the injector sent before
        ("v3:a%2fb", "not 'v3:a%2fb'"),  # lower-case hex
        ("v3:%61bc", "not 'v3:%61bc'"),  # an unreserved character escaped
        ("v3:a b", "not 'v3:a b'"),  # a character the SDK escapes, sent raw
        ("v3:%FF", "not UTF-8"),
        ("v3:%G1", "not 'v3:%G1'"),  # a broken escape: the SDK would send %25G1
        ("%2E", "dot segment"),
        ("%2e%2E", "dot segment"),
        ("..", "dot segment"),
        ("", "empty"),
    ],
)
def test_a_segment_the_sdk_would_never_send_is_refused(raw: str, why: str) -> None:
    """The emulator's check: any other spelling of an id is refused, saying what was expected."""
    with pytest.raises(ValueError, match=why):
        decode_segment(raw)
