"""The local broker's record: found while its broker runs and answers, ignored once it is gone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from callstream.errors import ConfigError
from callstream.kafka.local import (
    forget_local_bootstrap,
    read_local_bootstrap,
    record_local_bootstrap,
)


@pytest.fixture
def listening() -> Iterator[int]:
    """A port something listens on, standing in for the broker."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def test_a_recorded_broker_that_answers_is_found(tmp_path: Path, listening: int) -> None:
    """The record of a live process whose port answers gives its address."""
    record_local_bootstrap(tmp_path, host="127.0.0.1", port=listening, pid=os.getpid())
    assert read_local_bootstrap(tmp_path) == f"127.0.0.1:{listening}"


def test_no_record_means_no_local_broker(tmp_path: Path) -> None:
    """Nothing recorded: nothing found."""
    assert read_local_bootstrap(tmp_path) is None


def test_a_forgotten_record_is_not_found(tmp_path: Path, listening: int) -> None:
    """A broker stopped by its launcher is forgotten."""
    record_local_bootstrap(tmp_path, host="127.0.0.1", port=listening, pid=os.getpid())
    forget_local_bootstrap(tmp_path)
    assert read_local_bootstrap(tmp_path) is None


def test_the_record_of_a_killed_broker_is_ignored(tmp_path: Path, listening: int) -> None:
    """A record whose process has exited (a SIGKILLed broker) counts for nothing."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    record_local_bootstrap(tmp_path, host="127.0.0.1", port=listening, pid=child.pid)
    assert read_local_bootstrap(tmp_path) is None


def test_a_record_whose_port_does_not_answer_is_ignored(tmp_path: Path) -> None:
    """The process exists but nothing listens where the record says: not a broker."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    record_local_bootstrap(tmp_path, host="127.0.0.1", port=port, pid=os.getpid())
    assert read_local_bootstrap(tmp_path) is None


def test_an_unreadable_record_says_which_file(tmp_path: Path) -> None:
    """A damaged record is a configuration problem that names the file to remove."""
    (tmp_path / "bootstrap.json").write_text("{not json")
    with pytest.raises(ConfigError, match=r"bootstrap\.json is unreadable"):
        read_local_bootstrap(tmp_path)
