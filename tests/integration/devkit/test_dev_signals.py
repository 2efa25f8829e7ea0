"""``callstream dev`` stops everything on SIGINT or SIGTERM, however it was started.

Started as a shell script's background job (which starts it with SIGINT
ignored, as POSIX shells do without job control), in a process group of its
own; the signal goes to that group, as ``kill -INT -<pgid>`` or a terminal's
Ctrl-C sends it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
import yaml

from devkit.dev.config import prefixed_config, without_developer_settings
from devkit.stack import port_in_use
from devkit.testing.broker import BrokerHandle
from devkit.testing.polling import wait_until

CALLSTREAM = str(Path(sys.executable).with_name("callstream"))
STOPPED_WITHIN_S = 15.0
STARTED_WITHIN_S = 180.0


def _addresses(out: Path, shell: subprocess.Popen[bytes]) -> list[int]:
    """The ports ``dev`` prints once everything is ready (its output polled until then)."""

    def ready() -> bool:
        assert shell.poll() is None, "callstream dev exited while starting"
        return "Ctrl-C stops everything" in out.read_text()

    wait_until(ready, timeout_s=STARTED_WITHIN_S, what="callstream dev ready")
    # Not the broker's: dev uses the test session's broker, which it did not start.
    ours = [line for line in out.read_text().splitlines() if not line.strip().startswith("kafka")]
    return [int(port) for line in ours for port in re.findall(r"127\.0\.0\.1:(\d+)", line)]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_its_group_stops_every_child_and_frees_every_port(
    kafka_broker: BrokerHandle, tmp_path: Path, sig: signal.Signals
) -> None:
    """Every process it started is gone and every port it printed is free within 15 s."""
    prefix = f"dev{uuid.uuid4().hex[:8]}."
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(prefixed_config(prefix, partitions=2).model_dump(mode="json")))
    env = without_developer_settings(os.environ) | {
        "HOME": str(tmp_path / "home"),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap,
        "CALLSTREAM_TOPIC_PREFIX": prefix,
        "CALLSTREAM_CONFIG": str(config),
    }
    state = str(tmp_path / "state")
    family: list[psutil.Process] = []
    out = tmp_path / "dev.out"
    with out.open("w") as stdout, (tmp_path / "dev.err").open("w") as err:
        shell = subprocess.Popen(
            # A background job of a script: the shell starts it with SIGINT ignored.
            ["/bin/sh", "-c", '"$0" dev --free-ports --state-dir "$1" & wait', CALLSTREAM, state],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=err,
            start_new_session=True,
        )
    try:
        ports = _addresses(out, shell)
        family = psutil.Process(shell.pid).children(recursive=True)
        assert len(family) >= 5, [p.cmdline() for p in family]  # dev and its services
        os.killpg(shell.pid, sig)
        deadline = time.monotonic() + STOPPED_WITHIN_S
        _, alive = psutil.wait_procs(family, timeout=STOPPED_WITHIN_S)
        assert alive == [], [p.cmdline() for p in alive]
        wait_until(
            lambda: not [port for port in ports if port_in_use(port)],
            timeout_s=max(0.1, deadline - time.monotonic()),
            what=f"every port of {ports} released",
        )
        assert "stopped." in (tmp_path / "dev.err").read_text()
    finally:
        # Left only if the test failed (dev never ready, or deaf to the signal): what it
        # started, by pid, found again here if it failed before the family was listed.
        with contextlib.suppress(psutil.Error):
            family = family or psutil.Process(shell.pid).children(recursive=True)
        for process in family:
            with contextlib.suppress(psutil.Error):
                process.kill()
        shell.kill()
        shell.wait(timeout=10)
