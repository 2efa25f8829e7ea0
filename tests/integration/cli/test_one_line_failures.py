"""Every command fails in one line: each run as a process against each bad input.

An unreachable broker: the command says what it waits for, waits
``CALLSTREAM_KAFKA_WAIT_S``, then one line, exit 1. A malformed or empty
bootstrap value: one line at once, exit 2. A bad option value: one line
naming the valid ones, exit 2. Nothing here needs a broker: the unreachable
one is a closed port on loopback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from devkit.dev.config import without_developer_settings

# The installed command itself, as a user runs it (it names itself in usage errors).
CALLSTREAM = str(Path(sys.executable).with_name("callstream"))
WAIT_S = 2
UNREACHABLE = "127.0.0.1:1"  # nothing listens on port 1 (privileged, never bound here)
MALFORMED = "not-a-host:notaport"

COMMANDS: dict[str, list[str]] = {
    "topics create": ["topics", "create"],
    "dlq replay": ["dlq", "replay"],
    "streams": ["streams", "--ops-port", "0"],
    "injector": ["injector", "--ops-port", "0"],
    "dev": ["dev", "--free-ports", "--state-dir", "{tmp}/dev"],
    "demo": ["demo", "--json", "{tmp}/timeline.json"],
    "demo --attach": ["demo", "--attach"],
}


@dataclass(frozen=True)
class Case:
    """One command against one bad input, and how it must fail."""

    command: str
    argv: tuple[str, ...]
    bootstrap: str
    exit_code: int
    last_line: str
    before: tuple[str, ...] = ()
    """What the lines before the failure start with (progress said first), in order."""
    most_s: float = 15.0

    @property
    def id(self) -> str:
        return f"{self.command} [{self.bootstrap or 'empty'}] {' '.join(self.argv[-2:])}"


def _cases() -> list[Case]:
    cases = []
    for name, argv in COMMANDS.items():
        waiting = "  waiting up to" if name in ("dev", "demo") else "callstream: waiting up to"
        started = ("Starting the pipeline",) if name == "demo" else ()
        cases.append(
            Case(
                name,
                tuple(argv),
                UNREACHABLE,
                1,
                f"callstream: Kafka at {UNREACHABLE} (PLAINTEXT) did not answer within {WAIT_S} s",
                before=(*started, waiting),
                most_s=WAIT_S + 15,
            )
        )
        cases.append(
            Case(
                name, tuple(argv), MALFORMED, 2, "callstream: environment: KAFKA_BOOTSTRAP_SERVERS"
            )
        )
    cases += [
        Case("ingress", ("ingress", "--port", "0"), MALFORMED, 2, "callstream: environment: KAFKA"),
        Case("topics create", ("topics", "create"), "", 2, "callstream: environment: KAFKA"),
        Case("dlq replay", ("dlq", "replay"), "", 2, "callstream: environment: KAFKA"),
        Case(
            "dlq replay",
            ("dlq", "replay", "--reason", "bogus"),
            UNREACHABLE,
            2,
            "callstream dlq replay: Invalid value for '--reason': 'bogus' is not one of "
            "'invalid_json', 'schema'",
        ),
        Case(
            "streams",
            ("streams", "--worker-id", "no spaces"),
            UNREACHABLE,
            2,
            "callstream streams: Invalid value for '--worker-id'",
        ),
    ]
    return cases


CASES = _cases()


@dataclass(frozen=True)
class Ran:
    stderr: list[str]
    exit_code: int
    took_s: float


def _run(case: Case, tmp: Path) -> Ran:
    env = without_developer_settings(os.environ) | {
        "HOME": str(tmp / "home"),
        "KAFKA_BOOTSTRAP_SERVERS": case.bootstrap,
        "CALLSTREAM_KAFKA_WAIT_S": str(WAIT_S),
        "CALLSTREAM_KAFKA_DIR": str(tmp / "kafka"),
        "TELNYX_API_KEY": "test-key-0123",
        "CALLSTREAM_INGRESS_TOKEN": "test-token-0123",
    }
    argv = [arg.format(tmp=tmp) for arg in case.argv]
    started = time.monotonic()
    done = subprocess.run(
        [CALLSTREAM, *argv],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=case.most_s + 30,
        check=False,
    )
    return Ran(done.stderr.splitlines(), done.returncode, time.monotonic() - started)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Ran]]:
    """Every case run once, four at a time (each mostly waits on a closed port)."""
    dirs = {case.id: tmp_path_factory.mktemp("cli") for case in CASES}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {case.id: pool.submit(_run, case, dirs[case.id]) for case in CASES}
        yield {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_fails_in_one_line(case: Case, outcomes: dict[str, Ran]) -> None:
    """The failure is one line on stderr, after only the progress the command owes; the exit
    code says whose fault it is; the wait is the configured one, not librdkafka's."""
    ran = outcomes[case.id]
    assert ran.exit_code == case.exit_code, ran.stderr
    assert len(ran.stderr) == len(case.before) + 1, ran.stderr
    for line, start in zip(ran.stderr, case.before, strict=False):
        assert line.startswith(start), ran.stderr
    assert ran.stderr[-1].startswith(case.last_line), ran.stderr
    assert ran.took_s < case.most_s, f"took {ran.took_s:.1f} s"
