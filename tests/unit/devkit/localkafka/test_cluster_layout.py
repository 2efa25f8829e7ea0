"""A cluster's layout and each node's configuration, rendered without starting anything."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from devkit.errors import LocalKafkaError
from devkit.localkafka.cluster import LAYOUT, ClusterLayout, LocalCluster, node_overrides
from devkit.localkafka.jars import JarCache, packaged_pom
from devkit.localkafka.properties import server_properties


def _parse(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def _node_properties(layout: ClusterLayout, node_id: int) -> dict[str, str]:
    node = layout.node(node_id)
    text = server_properties(
        port=node.port,
        controller_port=node.controller_port,
        log_dirs=Path("/d"),
        overrides=node_overrides(layout, node),
    )
    return _parse(text)


def test_a_new_layout_gives_every_node_ports_of_its_own() -> None:
    """Six distinct loopback ports for three nodes; ids 1..3; distinct directory ids."""
    layout = ClusterLayout.new(3)
    ports = [p for n in layout.nodes for p in (n.port, n.controller_port)]
    assert len(set(ports)) == 6
    assert [n.node_id for n in layout.nodes] == [1, 2, 3]
    assert len({n.directory_id for n in layout.nodes}) == 3
    assert layout.bootstrap == ",".join(f"127.0.0.1:{n.port}" for n in layout.nodes)


def test_every_node_knows_the_whole_quorum_and_its_own_id() -> None:
    """Each node: its id, all three controllers to bootstrap from, its own listeners."""
    layout = ClusterLayout.new(3)
    quorum = ",".join(f"127.0.0.1:{n.controller_port}" for n in layout.nodes)
    for node in layout.nodes:
        props = _node_properties(layout, node.node_id)
        assert props["node.id"] == str(node.node_id)
        assert props["process.roles"] == "broker,controller"
        assert props["controller.quorum.bootstrap.servers"] == quorum
        assert props["listeners"] == (
            f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}"
        )
    voters = layout.initial_controllers.split(",")
    assert [v.split("@")[0] for v in voters] == ["1", "2", "3"]
    assert all(v.endswith(f":{n.directory_id}") for v, n in zip(voters, layout.nodes, strict=True))


def test_internal_topics_survive_one_broker_of_three() -> None:
    """Offsets and transaction state: 3 replicas, 2 in sync, as callstream's own topics."""
    props = _node_properties(ClusterLayout.new(3), 2)
    assert props["offsets.topic.replication.factor"] == "3"
    assert props["transaction.state.log.replication.factor"] == "3"
    assert props["transaction.state.log.min.isr"] == "2"


def test_a_two_broker_cluster_keeps_one_in_sync() -> None:
    """Two replicas with min ISR 2 would stop every write when either broker goes."""
    layout = ClusterLayout.new(2)
    assert (layout.replication_factor, layout.min_insync_replicas) == (2, 1)


def test_a_cluster_is_never_started_over_a_single_brokers_data(tmp_path: Path) -> None:
    """A data dir that holds one broker's records is refused, with where to go instead."""
    (tmp_path / "broker.json").write_text(
        '{"pid": null, "create_time": null, "port": 9092, "controller_port": 9093, '
        '"data_dir": "x", "kafka_version": "4.1.2", "started_at": "t"}'
    )
    cluster = LocalCluster(tmp_path, JarCache(tmp_path / "jars", packaged_pom()))
    with pytest.raises(LocalKafkaError, match="single broker's data"):
        cluster.start()


def test_a_recorded_cluster_is_found_with_its_own_size(tmp_path: Path) -> None:
    """``recorded`` reads the size from cluster.json; a dir without one is not a cluster."""
    jars = JarCache(tmp_path / "jars", packaged_pom())
    assert LocalCluster.recorded(tmp_path, jars) is None
    layout = ClusterLayout.new(4)
    (tmp_path / LAYOUT).write_text(json.dumps(asdict(layout)))
    found = LocalCluster.recorded(tmp_path, jars)
    assert found is not None
    assert found.brokers == 4
    assert found.layout() == layout
    assert found.status().note.startswith("stopped (4 brokers")
