"""The command line: its commands exist, and errors are one clear line with an exit code."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from callstream_cli import create_cli, main


def test_help_lists_the_commands() -> None:
    """``callstream --help`` names each command group that exists."""
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("kafka", "topics"):
        assert command in result.output


def test_help_never_cuts_a_description_short() -> None:
    """Each command's first sentence is shown whole (wrapped), never ended with '...'."""
    result = CliRunner().invoke(main, ["--help"], terminal_width=80)
    commands = result.output.split("Commands:", 1)[1]
    assert "..." not in commands
    flat = " ".join(result.output.split())
    assert "answer only once Kafka holds them." in flat


def test_bad_config_exits_2_with_the_field(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A misconfiguration is reported once, naming the field, with exit code 2."""
    bad = tmp_path / "c.yaml"
    bad.write_text("topics: {partitions: 0}\n")
    monkeypatch.setenv("CALLSTREAM_CONFIG", str(bad))
    result = CliRunner().invoke(main, ["topics", "create"])
    assert result.exit_code == 2
    assert "topics.partitions" in result.output
    assert "Traceback" not in result.output


def test_topics_create_without_any_broker_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No KAFKA_BOOTSTRAP_SERVERS and no local broker: say how to get one."""
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("CALLSTREAM_CONFIG", raising=False)
    monkeypatch.setenv("CALLSTREAM_KAFKA_DIR", str(tmp_path / "none"))
    result = CliRunner().invoke(main, ["topics", "create"])
    assert result.exit_code == 2
    assert "callstream kafka start" in result.output


def test_status_of_a_never_started_broker_exits_3(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``kafka status`` follows the LSB convention: 3 means not running."""
    monkeypatch.delenv("CALLSTREAM_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["kafka", "status", "--data-dir", str(tmp_path)])
    assert result.exit_code == 3
    assert "no broker has been started" in result.output


@pytest.mark.parametrize("command", ["dev", "demo", "emulator", "kafka"])
def test_without_devkit_a_development_command_says_how_to_get_it(command: str) -> None:
    """Where devkit is not installed, its commands are not offered and say how to get them."""
    cli = create_cli(with_devkit=False)
    listed = CliRunner().invoke(cli, ["--help"])
    assert listed.exit_code == 0
    offered = listed.output.split("Commands:")[1]
    assert f"  {command} " not in offered
    assert "  ingress " in offered
    result = CliRunner().invoke(cli, [command, "start", "--port", "0"])
    assert result.exit_code == 2
    [line] = result.output.splitlines()
    assert line.startswith(f"callstream: `{command}` is a development command from devkit")
    assert "make install" in line


def test_with_devkit_the_development_commands_are_offered() -> None:
    """Where devkit is installed, --help lists its commands beside the services."""
    listed = CliRunner().invoke(create_cli(with_devkit=True), ["--help"])
    offered = listed.output.split("Commands:")[1]
    for command in ("dev", "demo", "emulator", "kafka", "ingress", "streams", "injector"):
        assert f"  {command} " in offered, command
