"""``callstream injector``: listed, documented, and refusing to start without a key."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from callstream_cli import main


def test_injector_is_a_command_with_help() -> None:
    """``callstream injector --help`` explains what it needs."""
    result = CliRunner().invoke(main, ["injector", "--help"])
    assert result.exit_code == 0
    assert "TELNYX_API_KEY" in result.output
    assert "injector" in CliRunner().invoke(main, ["--help"]).output


def test_injector_without_a_key_exits_2_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No TELNYX_API_KEY: one line naming it, exit status 2, before touching Kafka."""
    monkeypatch.delenv("TELNYX_API_KEY", raising=False)
    monkeypatch.delenv("CALLSTREAM_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["injector"])
    assert result.exit_code == 2
    assert "TELNYX_API_KEY" in result.output
    assert "Traceback" not in result.output
