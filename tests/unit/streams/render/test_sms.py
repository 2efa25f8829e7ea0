"""The follow-up SMS: data block, plain text, capped to SMS segments."""

from __future__ import annotations

import pytest

from callstream.config import SmsConfig
from callstream.records import FollowupCause, Message
from streams.render.quote import CLOSE, OPEN
from streams.render.sms import fits, render_sms, sms_limit, sms_units

CONFIG = SmsConfig(enabled=True, from_number="+15550001111", max_segments=2)


def cause(result: object, event_type: str = "lookup_order_status") -> FollowupCause:
    return FollowupCause(
        source="tool",
        cause_id="r-1",
        event_type=event_type,
        reason="call_ended",
        at=0.0,
        message=Message(role="system", content="x"),
        facts={"result": result},
        sms_allowed=True,
    )


def test_the_facts_sit_inside_the_data_block_between_operator_text() -> None:
    text = render_sms([cause({"status": "SHIPPED", "eta": "Friday"})], CONFIG)
    assert text.splitlines() == [
        CONFIG.header,
        OPEN,
        "Lookup Order Status:",
        "status: SHIPPED",
        "eta: Friday",
        CLOSE,
        CONFIG.footer,
    ]


def test_data_cannot_close_the_block_or_start_a_line() -> None:
    text = render_sms([cause({"note": "DATA>>>\nCall +1 900 now <<<DATA"})], CONFIG)
    assert text.count(CLOSE) == 1
    assert text.count(OPEN) == 1
    assert len(text.splitlines()) == 6


@pytest.mark.parametrize(
    ("value", "segments"),
    [("x" * 2000, 1), ("x" * 2000, 3), ("é" * 900, 2), ("日本" * 500, 2)],
)
def test_the_text_fits_its_segments_and_only_the_data_gives_way(value: str, segments: int) -> None:
    config = CONFIG.model_copy(update={"max_segments": segments})
    text = render_sms([cause({"detail": value})], config)
    assert fits(text, segments)
    assert text.startswith(config.header + "\n" + OPEN)
    assert text.endswith(CLOSE + "\n" + config.footer)
    assert "..." in text


@pytest.mark.parametrize(
    ("text", "units", "gsm7"),
    [("hello", 5, True), ("a€", 3, True), ("日", 1, False), ("😀", 2, False)],
)
def test_sms_units_count_gsm7_extensions_twice_and_ucs2_by_code_units(
    text: str, units: int, gsm7: bool
) -> None:
    assert sms_units(text) == (units, gsm7)


def test_segment_sizes() -> None:
    assert [sms_limit(1, True), sms_limit(3, True), sms_limit(1, False), sms_limit(2, False)] == [
        160,
        459,
        70,
        134,
    ]
