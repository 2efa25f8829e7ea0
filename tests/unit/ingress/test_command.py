"""``callstream ingress`` on the command line: its options, and exit 2 when misconfigured."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from callstream_cli import main

pytestmark = pytest.mark.usefixtures("restore_logging")


def test_the_command_is_listed_with_its_options() -> None:
    """``callstream ingress --help`` documents host, port and workers."""
    assert "ingress" in CliRunner().invoke(main, ["--help"]).output
    result = CliRunner().invoke(main, ["ingress", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workers"):
        assert option in result.output


def test_no_broker_is_a_configuration_error_before_listening(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without KAFKA_BOOTSTRAP_SERVERS or a local broker: one line, exit 2, nothing served."""
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("CALLSTREAM_CONFIG", raising=False)
    monkeypatch.setenv("CALLSTREAM_KAFKA_DIR", str(tmp_path / "none"))
    result = CliRunner().invoke(main, ["ingress", "--port", "0"])
    assert result.exit_code == 2
    assert "callstream kafka start" in result.output
    assert "listening" not in result.output


def test_a_bad_ingress_setting_names_its_field(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An invalid ingress section is reported with the field's path, exit 2."""
    bad = tmp_path / "c.yaml"
    bad.write_text("ingress: {max_body_bytes: 10000000}\n")
    monkeypatch.setenv("CALLSTREAM_CONFIG", str(bad))
    result = CliRunner().invoke(main, ["ingress"])
    assert result.exit_code == 2
    assert "ingress.max_body_bytes" in result.output
