"""Logs are JSON lines with context, and a configured secret never appears in one."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import structlog

from callstream.kafka.config import LibrdkafkaLog
from callstream.logs import REDACTED, configure_logging

pytestmark = pytest.mark.usefixtures("restore_logging")


def _lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_structlog_lines_are_json_with_context(capsys: pytest.CaptureFixture[str]) -> None:
    """A bound call id and the service name appear on the line."""
    configure_logging(service="injector")
    structlog.get_logger("t").info("delivered", call_control_id="v3:a", injection_id="i1")
    [line] = _lines(capsys.readouterr().err)
    assert line["event"] == "delivered"
    assert line["service"] == "injector"
    assert line["call_control_id"] == "v3:a"
    assert line["level"] == "info"


def test_standard_library_logs_share_the_format(capsys: pytest.CaptureFixture[str]) -> None:
    """A library's stdlib log line is rendered as JSON too."""
    configure_logging()
    logging.getLogger("librdkafka").warning("rebalancing %s", "now")
    [line] = _lines(capsys.readouterr().err)
    assert line["event"] == "rebalancing now"
    assert line["logger"] == "librdkafka"


def test_secrets_are_redacted_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    """A secret in the message, a field, a nested value or a traceback is replaced."""
    secret = "sk-live-0123456789"
    configure_logging(secrets=[secret])
    log = structlog.get_logger("t")
    # The point is a secret inside the message text itself.
    log.info(f"calling with {secret}", header={"Authorization": f"Bearer {secret}"})  # noqa: G004

    def fail() -> None:
        raise RuntimeError(f"request failed for key {secret}")

    try:
        fail()
    except RuntimeError:
        log.exception("boom")
    err = capsys.readouterr().err
    assert secret not in err
    assert err.count(REDACTED) >= 3


def test_short_values_are_not_treated_as_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    """A trivially short 'secret' would scrub ordinary words, so it is ignored."""
    configure_logging(secrets=["abc"])
    structlog.get_logger("t").info("abcdef")
    assert _lines(capsys.readouterr().err)[0]["event"] == "abcdef"


def test_a_logger_cached_before_a_reconfiguration_is_still_captured() -> None:
    """Reconfiguring keeps the processors a cached logger holds: capture_logs still sees it."""
    configure_logging()
    early = structlog.get_logger("early")
    early.info("cached")  # first use: the logger keeps the processors it was built with
    configure_logging(service="again")
    with structlog.testing.capture_logs() as logs:
        early.info("seen")
    assert [line["event"] for line in logs] == ["seen"]


def test_librdkafka_lines_are_rate_limited_per_facility(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A broker outage's reconnect reports: one line per facility, then a count of the rest."""
    configure_logging()
    clock = [0.0]
    log = LibrdkafkaLog(interval_s=30.0, clock=lambda: clock[0])
    for _ in range(500):
        log.log(logging.ERROR, "%s [%s] %s", "FAIL", "rdkafka#consumer-1", "Connect failed")
    log.log(logging.WARNING, "%s [%s] %s", "REQTMOUT", "rdkafka#consumer-1", "timed out")
    clock[0] = 31.0
    log.log(logging.ERROR, "%s [%s] %s", "FAIL", "rdkafka#consumer-1", "Connect failed")
    lines = _lines(capsys.readouterr().err)
    assert [(line["event"].split(" ")[0], line.get("repeats")) for line in lines] == [
        ("FAIL", None),
        ("REQTMOUT", None),
        ("FAIL", 499),
    ]
    assert all(line["logger"] == "librdkafka" for line in lines)


def test_a_line_below_the_level_runs_no_processor(capsys: pytest.CaptureFixture[str]) -> None:
    """Per-record debug lines (one per injection, one per delivery) cost a level check only:
    no context merge, no timestamp, nothing else of the chain runs for them."""
    configure_logging(level="INFO")
    seen: list[str] = []

    def spy(_: object, method: str, event_dict: structlog.typing.EventDict) -> Any:
        seen.append(method)
        return event_dict

    processors = structlog.get_config()["processors"]
    processors.insert(1, spy)  # right after whatever decides by level
    log = structlog.get_logger("t")
    log.debug("injected", injection_id="i1")
    log.info("delivered", injection_id="i1")
    assert seen == ["info"]
    assert [line["event"] for line in _lines(capsys.readouterr().err)] == ["delivered"]
