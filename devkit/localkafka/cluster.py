"""A local Kafka cluster of several brokers from the same jars, for replication and failover.

Each node is a ``LocalBroker`` in a data dir of its own (``node-<id>/``) that
plays both KRaft roles (``process.roles=broker,controller``): the nodes'
controllers together are the metadata quorum, a dynamic one (KIP-853, the
nodes formatted with ``--initial-controllers``). Combined rather than a
separate controller quorum, for two reasons: three JVMs instead of four to
six on a developer machine, and it is the harder failover, the one a test
should meet. A killed node takes a quorum voter, and often the active
controller, with it: the survivors must elect a controller as well as new
partition leaders, then fence the lost broker and shrink the in-sync replica
sets, before an ``acks=all`` write completes again.

With three nodes the internal topics (consumer offsets, transaction state)
have three replicas and need two in sync, as ``callstream topics create
--replication-factor 3`` makes callstream's own topics. One node lost: the
quorum (two voters of three) and every partition (two in-sync replicas) carry
on. Two lost: no quorum and no partition can take an ``acks=all`` write; the
cluster waits until a node comes back.

``cluster.json`` records the cluster id and each node's ports and directory
id, chosen at the first start and kept, so a node restarted (alone, or with
the others) rejoins on the same addresses. ``bootstrap.json`` beside it names
node 1, for a service started with ``KAFKA_BOOTSTRAP_SERVERS`` unset.
Loopback only; not for production.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from callstream.kafka.local import forget_local_bootstrap, record_local_bootstrap
from devkit.errors import LocalKafkaError
from devkit.localkafka.broker import (
    BrokerState,
    BrokerStatus,
    LocalBroker,
    data_dir_lock,
    new_cluster_id,
    read_state,
    running_process,
)
from devkit.localkafka.jars import JarCache
from devkit.localkafka.properties import server_properties
from devkit.stack.ports import free_port

LAYOUT = "cluster.json"
REGISTER_TIMEOUT_S = 60.0
"""How long the started nodes may take to see each other (every broker registered)."""

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class NodeLayout:
    """Where one node listens, and its metadata directory's id (fixed for its life)."""

    node_id: int
    port: int
    controller_port: int
    directory_id: str


@dataclass(frozen=True)
class ClusterLayout:
    """The cluster's identity and every node's addresses, as ``cluster.json`` records them."""

    cluster_id: str
    nodes: tuple[NodeLayout, ...]

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)

    @property
    def replication_factor(self) -> int:
        """Replicas of the internal topics: three, or every node of a smaller cluster."""
        return min(3, len(self.nodes))

    @property
    def min_insync_replicas(self) -> int:
        """As ``callstream.topics`` sets it: two once there are three replicas."""
        return 2 if self.replication_factor >= 3 else 1

    @property
    def initial_controllers(self) -> str:
        """``--initial-controllers``: every voter as ``id@host:port:directory-id``."""
        return ",".join(
            f"{n.node_id}@127.0.0.1:{n.controller_port}:{n.directory_id}" for n in self.nodes
        )

    def node(self, node_id: int) -> NodeLayout:
        for node in self.nodes:
            if node.node_id == node_id:
                return node
        raise LocalKafkaError(f"the cluster has no node {node_id}")

    @classmethod
    def new(cls, brokers: int) -> ClusterLayout:
        """A fresh cluster of ``brokers`` nodes on distinct free loopback ports."""
        ports: list[int] = []
        while len(ports) < 2 * brokers:
            port = free_port()
            if port not in ports:
                ports.append(port)
        nodes = tuple(
            NodeLayout(
                node_id=n + 1,
                port=ports[2 * n],
                controller_port=ports[2 * n + 1],
                # A directory id is a Kafka Uuid, the format of a cluster id.
                directory_id=new_cluster_id(),
            )
            for n in range(brokers)
        )
        return cls(cluster_id=new_cluster_id(), nodes=nodes)


def node_overrides(layout: ClusterLayout, node: NodeLayout) -> dict[str, str]:
    """What a node's ``server.properties`` changes from the single broker's (pure)."""
    replicas = str(layout.replication_factor)
    min_isr = str(layout.min_insync_replicas)
    return {
        "node.id": str(node.node_id),
        "controller.quorum.bootstrap.servers": ",".join(
            f"127.0.0.1:{n.controller_port}" for n in layout.nodes
        ),
        "offsets.topic.replication.factor": replicas,
        "transaction.state.log.replication.factor": replicas,
        "transaction.state.log.min.isr": min_isr,
        "share.coordinator.state.topic.replication.factor": replicas,
        "share.coordinator.state.topic.min.isr": min_isr,
    }


def is_cluster_dir(data_dir: Path) -> bool:
    """Whether ``data_dir`` holds a cluster (rather than one broker, or nothing yet)."""
    return (data_dir.expanduser() / LAYOUT).is_file()


class ClusterNode(LocalBroker):
    """One node of a ``LocalCluster``: a ``LocalBroker`` on the cluster's ports and quorum."""

    def __init__(
        self,
        layout: ClusterLayout,
        node: NodeLayout,
        data_dir: Path,
        jars: JarCache,
        *,
        java_home: Path | None = None,
    ) -> None:
        super().__init__(data_dir, jars, java_home=java_home)
        self.layout = layout
        self.node = node

    def _controller_port(self) -> int:
        return self.node.controller_port

    def _server_properties(
        self, port: int, controller_port: int, secured: Mapping[str, str] | None = None
    ) -> str:
        return server_properties(
            port=port,
            controller_port=controller_port,
            log_dirs=self.storage_dir,
            overrides=node_overrides(self.layout, self.node) | dict(secured or {}),
        )

    def _format_options(self) -> list[str]:
        return [
            "--cluster-id", self.layout.cluster_id,
            "--initial-controllers", self.layout.initial_controllers,
        ]  # fmt: skip

    def start_on_its_port(
        self, *, heap_max: str, timeout_s: float, progress: Progress = _quiet
    ) -> BrokerState:
        """Start (or restart) this node on its recorded port; wait until it answers."""
        return self.start(
            port=self.node.port, heap_max=heap_max, timeout_s=timeout_s, progress=progress
        )

    def kill(self) -> int:
        """SIGKILL this node (no shutdown of any kind), for fault tests; the pid it had."""
        state = read_state(self.data_dir)
        proc = running_process(state) if state is not None else None
        if state is None or state.pid is None or proc is None:
            raise LocalKafkaError(f"node {self.node.node_id} is not running")
        proc.kill()
        proc.wait(timeout=30)
        self._reap(state.pid)
        return state.pid


@dataclass(frozen=True)
class ClusterStatus:
    """Every node's status, and a sentence about the whole."""

    layout: ClusterLayout | None
    nodes: Mapping[int, BrokerStatus]
    note: str

    @property
    def running(self) -> bool:
        """Every node runs."""
        return bool(self.nodes) and all(status.running for status in self.nodes.values())


class LocalCluster:
    """The Kafka cluster whose nodes live under ``data_dir`` (``node-1/``, ``node-2/``, ...)."""

    def __init__(
        self, data_dir: Path, jars: JarCache, *, brokers: int = 3, java_home: Path | None = None
    ) -> None:
        if brokers < 2:
            raise LocalKafkaError("a cluster has at least 2 brokers (one is `LocalBroker`)")
        self.data_dir = data_dir.expanduser().resolve()
        self.jars = jars
        self.brokers = brokers
        self.java_home = java_home
        self._nodes: dict[int, ClusterNode] = {}

    @classmethod
    def recorded(
        cls, data_dir: Path, jars: JarCache, *, java_home: Path | None = None
    ) -> LocalCluster | None:
        """The cluster ``data_dir`` holds, with as many brokers as it was made with; None
        when it holds a single broker or nothing."""
        if not is_cluster_dir(data_dir):
            return None
        layout = cls(data_dir, jars, java_home=java_home).layout()
        if layout is None:
            return None
        return cls(data_dir, jars, brokers=len(layout.nodes), java_home=java_home)

    @property
    def _layout_file(self) -> Path:
        return self.data_dir / LAYOUT

    def layout(self) -> ClusterLayout | None:
        """What ``cluster.json`` records, or None before the first start."""
        try:
            raw = json.loads(self._layout_file.read_text())
            nodes = tuple(NodeLayout(**node) for node in raw["nodes"])
            return ClusterLayout(cluster_id=raw["cluster_id"], nodes=nodes)
        except FileNotFoundError:
            return None
        except (ValueError, TypeError, KeyError) as exc:
            raise LocalKafkaError(f"{self._layout_file} is unreadable ({exc}); remove it") from exc

    def _ensure_layout(self) -> ClusterLayout:
        layout = self.layout()
        if layout is None:
            if read_state(self.data_dir) is not None:
                raise LocalKafkaError(
                    f"{self.data_dir} holds a single broker's data: start the cluster in "
                    "another --data-dir, or remove that one"
                )
            layout = ClusterLayout.new(self.brokers)
            tmp = self._layout_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(asdict(layout), indent=2) + "\n")
            tmp.replace(self._layout_file)
        if len(layout.nodes) != self.brokers:
            raise LocalKafkaError(
                f"{self.data_dir} holds a cluster of {len(layout.nodes)} brokers, not "
                f"{self.brokers}: start it with --brokers {len(layout.nodes)}, or use another "
                "--data-dir"
            )
        return layout

    def node(self, node_id: int) -> ClusterNode:
        """Node ``node_id`` (1-based), the same object for the life of this one."""
        if node_id not in self._nodes:
            layout = self.layout()
            if layout is None:
                raise LocalKafkaError(f"no cluster has been started in {self.data_dir}")
            self._nodes[node_id] = ClusterNode(
                layout,
                layout.node(node_id),
                self.data_dir / f"node-{node_id}",
                self.jars,
                java_home=self.java_home,
            )
        return self._nodes[node_id]

    @property
    def bootstrap(self) -> str:
        """Every node's listener, as ``KAFKA_BOOTSTRAP_SERVERS`` takes them."""
        layout = self.layout()
        if layout is None:
            raise LocalKafkaError(f"no cluster has been started in {self.data_dir}")
        return layout.bootstrap

    # -- commands -------------------------------------------------------------------
    def status(self) -> ClusterStatus:
        """Each node's status (from its records; does not contact the brokers)."""
        layout = self.layout()
        if layout is None:
            return ClusterStatus(None, {}, f"no cluster has been started in {self.data_dir}")
        nodes = {n.node_id: self.node(n.node_id).status() for n in layout.nodes}
        up = [node_id for node_id, status in nodes.items() if status.running]
        if len(up) == len(nodes):
            note = f"running, {len(nodes)} brokers at {layout.bootstrap}"
        elif not up:
            note = f"stopped ({len(nodes)} brokers, data in {self.data_dir})"
        else:
            down = [str(node_id) for node_id in nodes if node_id not in up]
            note = f"{len(up)} of {len(nodes)} brokers running (down: node {', '.join(down)})"
        return ClusterStatus(layout, nodes, note)

    def start(
        self, *, heap_max: str = "512m", timeout_s: float = 120.0, progress: Progress = _quiet
    ) -> ClusterLayout:
        """Start every node that is not running, together (a lone node has no quorum), and
        return once each answers and every broker has registered."""
        with data_dir_lock(self.data_dir):
            layout = self._ensure_layout()
            self.jars.ensure(progress)  # once, before the nodes start in parallel
            nodes = [self.node(n.node_id) for n in layout.nodes]
            progress(f"Starting {len(nodes)} Kafka brokers (KRaft, combined mode)...")
            with ThreadPoolExecutor(len(nodes), thread_name_prefix="kafka-node") as pool:
                futures = [
                    pool.submit(node.start_on_its_port, heap_max=heap_max, timeout_s=timeout_s)
                    for node in nodes
                ]
                errors = [f.exception() for f in futures if f.exception() is not None]
            if errors:
                self._stop_nodes(nodes, 30.0)
                raise LocalKafkaError(f"the cluster did not start: {errors[0]}") from errors[0]
            self.wait_registered(len(nodes), REGISTER_TIMEOUT_S)
            first = futures[0].result()
            assert first.pid is not None  # a state that start() returns has one
            record_local_bootstrap(self.data_dir, host="127.0.0.1", port=first.port, pid=first.pid)
            return layout

    def stop(self, *, timeout_s: float = 30.0, progress: Progress = _quiet) -> list[BrokerState]:
        """Stop every node this data dir records; the states of those that were running."""
        with data_dir_lock(self.data_dir):
            layout = self.layout()
            if layout is None:
                return []
            forget_local_bootstrap(self.data_dir)
            nodes = [self.node(n.node_id) for n in layout.nodes]
            running = [n for n in nodes if n.status().running]
            if running:
                progress(f"Stopping {len(running)} Kafka brokers...")
            return self._stop_nodes(nodes, timeout_s)

    @staticmethod
    def _stop_nodes(nodes: list[ClusterNode], timeout_s: float) -> list[BrokerState]:
        # Together: a node stopped last would wait for a quorum that has already left.
        with ThreadPoolExecutor(len(nodes), thread_name_prefix="kafka-stop") as pool:
            stopped = list(pool.map(lambda node: node.stop(timeout_s=timeout_s), nodes))
        return [state for state in stopped if state is not None]

    def wait_registered(self, brokers: int, timeout_s: float) -> None:
        """Return once the cluster's metadata lists ``brokers`` live brokers."""
        from confluent_kafka.admin import AdminClient  # heavy import, only when needed

        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        deadline = time.monotonic() + timeout_s
        seen = 0
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                seen = len(admin.list_topics(timeout=5).brokers)
                if seen >= brokers:
                    return
            time.sleep(0.2)  # polling the cluster's metadata for a condition
        raise LocalKafkaError(
            f"only {seen} of {brokers} brokers registered within {timeout_s:.0f} s "
            f"(logs: {self.data_dir}/node-*/broker.log)"
        )
