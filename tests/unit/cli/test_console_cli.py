"""``callstream console`` refuses to start without its token, or with one token for both rights."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from callstream_cli import main

SECRET = "s3cr3t-console-token"


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "CALLSTREAM_CONSOLE_TOKEN is not set"),
        (
            {"CALLSTREAM_CONSOLE_TOKEN": SECRET, "CALLSTREAM_CONSOLE_REPLAY_TOKEN": SECRET},
            "the replay token must differ",
        ),
    ],
)
def test_console_token_problems_exit_2_in_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], says: str
) -> None:
    """Refused before Kafka is reached; the line names the variable; no secret is printed."""
    for name in (
        "CALLSTREAM_CONSOLE_TOKEN",
        "CALLSTREAM_CONSOLE_REPLAY_TOKEN",
        "CALLSTREAM_CONFIG",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["console"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("callstream:")]
    assert len(lines) == 1
    assert says in lines[0]
    assert SECRET not in result.output
    assert "Traceback" not in result.output


def test_a_console_config_naming_no_source_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``console.hide_contents`` names sources that exist (or tool, supervisor)."""
    bad = tmp_path / "c.yaml"
    bad.write_text("console: {hide_contents: [crmm]}\n")
    monkeypatch.setenv("CALLSTREAM_CONFIG", str(bad))
    monkeypatch.setenv("CALLSTREAM_CONSOLE_TOKEN", "t")
    result = CliRunner().invoke(main, ["console"])
    assert result.exit_code == 2
    assert "console.hide_contents" in result.output
