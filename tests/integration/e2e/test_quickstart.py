"""The README's Quickstart, its second terminal's lines exactly as written, against a running
``callstream dev``: the README can never drift from what works."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import yaml

from devkit.dev.config import prefixed_config, without_developer_settings
from devkit.testing.broker import BrokerHandle
from devkit.testing.polling import wait_until

ROOT = Path(__file__).resolve().parents[3]
CALLSTREAM = str(Path(sys.executable).with_name("callstream"))


def quickstart_blocks() -> list[list[str]]:
    """The lines of each ``sh`` block in the README's Quickstart section, in order."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return [[line for line in block.splitlines() if line.strip()] for block in blocks]


def test_the_quickstart_is_two_terminals_of_plain_commands() -> None:
    """The first terminal runs ``callstream dev``; no line holds a placeholder."""
    first, second, third = quickstart_blocks()
    assert first == [". .venv/bin/activate", "callstream dev"]
    assert second[:2] == [". .venv/bin/activate", "source ~/.local/state/callstream/dev/env"]
    for line in first + second + third:
        assert "..." not in line, line
        assert "<" not in line, line


def test_the_quickstart_runs_as_written(kafka_broker: BrokerHandle, tmp_path: Path) -> None:
    """Every line of the second terminal succeeds against ``callstream dev``; the call gets the
    tool's result, the note and the CRM update, and the late ticket's dead letter is replayed."""
    _, second, third = quickstart_blocks()
    home = tmp_path / "home"  # a fresh HOME: ~/.local/state/callstream/dev is dev's default
    prefix = f"qs{uuid.uuid4().hex[:8]}."
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(prefixed_config(prefix, partitions=2).model_dump(mode="json")))
    env = without_developer_settings(os.environ) | {
        "HOME": str(home),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap,
        "CALLSTREAM_TOPIC_PREFIX": prefix,
        "CALLSTREAM_CONFIG": str(config),
    }
    for name in ("VIRTUAL_ENV", "XDG_STATE_HOME"):  # the README's paths are the defaults
        env.pop(name, None)
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if Path(p) != Path(sys.executable).parent
    )
    env_file = home / ".local/state/callstream/dev/env"
    with (tmp_path / "dev.log").open("w") as log:
        # Ports of its own (a shared machine); the lines read every address from the env file.
        dev = subprocess.Popen(
            [CALLSTREAM, "dev", "--free-ports"],
            env=env | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"},
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(
            lambda: "Ctrl-C stops everything" in (tmp_path / "dev.log").read_text(),
            timeout_s=180,
            what="callstream dev ready",
        )
        assert env_file.exists()
        done = _shell(second, env)
        call = done.stdout.splitlines()[0].strip()
        assert call.startswith("v3:"), done.stdout
        assert done.stdout.count('"accepted"') >= 3, done.stdout  # the tool, the note, the event
        emulator = _exported(env_file, "CALLSTREAM_EMULATOR_URL")
        wanted = ("[ORDER LOOKUP COMPLETE]", "Offer the loyalty discount.", "[CRM PROFILE UPDATED]")

        def transcript() -> str:
            return httpx.get(f"{emulator}/_emulator/calls/{call}", params={"format": "text"}).text

        # What the reader does between the blocks: look again until the messages are there.
        wait_until(lambda: all(w in transcript() for w in wanted), timeout_s=60, what="messages")
        # The same terminal: its activation and environment, and the CALL it kept.
        done = _shell([*second[:2], *third], env | {"CALL": call})
        assert '"accepted"' in done.stdout, done.stdout  # the late ticket update
        assert "replayed 1" in done.stdout, done.stdout
        assert "[SUPPORT TICKET UPDATED]" not in transcript()
    finally:
        os.killpg(dev.pid, signal.SIGINT)
        try:
            dev.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(dev.pid, signal.SIGKILL)
            dev.wait(timeout=10)


def _shell(lines: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``lines`` in one bash, from the clone, stopping at the first that fails."""
    done = subprocess.run(
        ["/bin/bash", "-c", "set -e\n" + "\n".join(lines) + "\n"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def _exported(env_file: Path, name: str) -> str:
    for line in env_file.read_text().splitlines():
        if line.startswith(f"export {name}="):
            return line.split("=", 1)[1].strip("'")
    raise AssertionError(f"{name} not in {env_file}")
