"""The call-id schema in the OpenAPI document says exactly what check_call_control_id enforces."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from callstream.ids import MAX_CALL_CONTROL_ID_LENGTH, check_call_control_id
from ingress.openapi import CALL_CONTROL_ID_PATTERN

_DOCUMENTED = re.compile(CALL_CONTROL_ID_PATTERN)


def _accepted(value: str) -> bool:
    try:
        check_call_control_id(value)
    except ValueError:
        return False
    return True


@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
    | st.from_regex(_DOCUMENTED, fullmatch=True)
)
def test_the_documented_pattern_agrees_with_the_rule(value: str) -> None:
    """Pattern plus length bounds is exactly the rule, '..' included."""
    documented = (
        bool(_DOCUMENTED.fullmatch(value)) and 1 <= len(value) <= MAX_CALL_CONTROL_ID_LENGTH
    )
    assert documented == _accepted(value)
