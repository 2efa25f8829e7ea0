"""``callstream kafka`` with a cluster's data dir: refusals and status, nothing started."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from callstream_cli import main
from devkit.localkafka.cluster import LAYOUT, ClusterLayout


@pytest.fixture
def cluster_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A data dir holding a stopped three-broker cluster's record."""
    monkeypatch.delenv("CALLSTREAM_CONFIG", raising=False)
    (tmp_path / LAYOUT).write_text(json.dumps(asdict(ClusterLayout.new(3))))
    return tmp_path


def test_a_cluster_takes_no_port(cluster_dir: Path) -> None:
    """Its ports are chosen at its first start and kept: ``--port`` is refused, exit 2."""
    result = CliRunner().invoke(
        main, ["kafka", "start", "--brokers", "3", "--port", "9092", "--data-dir", str(cluster_dir)]
    )
    assert result.exit_code == 2
    assert "--port is for a single broker" in result.output


def test_a_single_broker_is_never_started_over_a_cluster(cluster_dir: Path) -> None:
    """``kafka start`` without ``--brokers`` on a cluster's data dir: exit 2, saying why."""
    result = CliRunner().invoke(main, ["kafka", "start", "--data-dir", str(cluster_dir)])
    assert result.exit_code == 2
    assert "holds a cluster" in result.output


def test_a_cluster_of_another_size_is_refused(cluster_dir: Path) -> None:
    """Three brokers recorded, five asked for: one line naming both, exit 1, nothing started."""
    result = CliRunner().invoke(
        main, ["kafka", "start", "--brokers", "5", "--data-dir", str(cluster_dir)]
    )
    assert result.exit_code == 1
    assert "a cluster of 3 brokers, not 5" in result.output


def test_status_of_a_stopped_cluster_lists_every_node_and_exits_3(cluster_dir: Path) -> None:
    """``kafka status --json``: not running, three nodes, where it would listen."""
    result = CliRunner().invoke(main, ["kafka", "status", "--json", "--data-dir", str(cluster_dir)])
    assert result.exit_code == 3
    body = json.loads(result.output)
    assert body["running"] is False
    assert sorted(body["nodes"]) == ["1", "2", "3"]
    assert body["bootstrap"].count("127.0.0.1:") == 3


def test_stop_of_a_stopped_cluster_stops_nothing(cluster_dir: Path) -> None:
    """Nothing recorded as running: nothing signalled, exit 0."""
    result = CliRunner().invoke(main, ["kafka", "stop", "--data-dir", str(cluster_dir)])
    assert result.exit_code == 0
    assert "none was running" in result.output
