"""A broker lost mid-call, on a three-broker cluster of this module's own (``make test``'s
short version of the fault suite's ``broker-lost`` row).

The cluster comes from ``devkit.testing.broker.provide_cluster`` whatever
``KAFKA_BOOTSTRAP_SERVERS`` says: the test kills brokers, so they must be its
own. ``callstream topics create --replication-factor 3`` must make every topic
with three replicas and ``min.insync.replicas=2``; then the whole pipeline runs
on such topics, the broker that leads most partitions is SIGKILLed under a
small load and started again a few seconds later, and nothing may be lost,
doubled or reordered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource

from callstream.kafka import KafkaConnection
from callstream.paths import default_cache_dir
from callstream.topics import Topics
from devkit.chaos.scenarios import chaos_pipeline
from devkit.chaos.scenarios.base import Timing, steady_fault
from devkit.chaos.scenarios.cluster import broker_lost, pipeline_topics, placements
from devkit.chaos.senders import LoadPlan
from devkit.dev.config import DEVELOPER_SETTINGS
from devkit.errors import PrerequisiteMissing
from devkit.localkafka import find_java
from devkit.localkafka.cluster import LocalCluster
from devkit.testing.broker import provide_cluster
from devkit.testing.chaos import assert_promise_held, pipeline_settings
from devkit.testing.skips import missing_prerequisite

PLAN = LoadPlan(calls=6, interval_s=1.0)
TIMING = Timing(before_s=2.0, after_s=4.0)
DOWN_S = 5.0


def _say(message: str) -> None:
    print(message)  # noqa: T201 - shown by pytest when the scenario fails


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    java_home = Path(os.environ["JAVA_HOME"]) if os.environ.get("JAVA_HOME") else None
    try:
        find_java(java_home)
    except PrerequisiteMissing as exc:
        missing_prerequisite(f"no Kafka cluster for the broker-loss tests: {exc}")
    cache = os.environ.get("CALLSTREAM_CACHE_DIR")
    with provide_cluster(
        work_dir=tmp_path_factory.mktemp("cluster"),
        cache_dir=Path(cache) if cache else default_cache_dir(),
        java_home=java_home,
    ) as running:
        yield running


def _callstream(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callstream_cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_status_reports_every_node(cluster: LocalCluster) -> None:
    """``callstream kafka status`` on the cluster's data dir: three nodes, each running."""
    done = _callstream(
        dict(os.environ), "kafka", "status", "--json", "--data-dir", str(cluster.data_dir)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    body = json.loads(done.stdout)
    assert body["running"] is True
    assert body["bootstrap"] == cluster.bootstrap
    assert sorted(body["nodes"]) == ["1", "2", "3"]
    assert all(node["running"] for node in body["nodes"].values())


def test_topics_create_makes_three_replicas_two_in_sync(cluster: LocalCluster) -> None:
    """Every topic ``topics create --replication-factor 3`` makes: 3 replicas in sync, and
    ``min.insync.replicas=2``, so one broker may go without a write being refused."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    env = {k: v for k, v in os.environ.items() if k not in DEVELOPER_SETTINGS}
    env |= {"KAFKA_BOOTSTRAP_SERVERS": cluster.bootstrap, "CALLSTREAM_TOPIC_PREFIX": prefix}
    done = _callstream(env, "topics", "create", "--partitions", "2", "--replication-factor", "3")
    assert done.returncode == 0, done.stderr
    conn = KafkaConnection(bootstrap_servers=cluster.bootstrap)
    names = pipeline_topics(Topics(prefix=prefix))
    placed = placements(conn, names)
    assert len(placed) == 2 * len(names)
    assert all(len(p.isr) == 3 for p in placed.values()), placed
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    futures = admin.describe_configs([ConfigResource("topic", name) for name in names])
    for resource, future in futures.items():
        assert future.result()["min.insync.replicas"].value == "2", resource


def test_the_busiest_leader_killed_mid_load_loses_and_doubles_nothing(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    """SIGKILL the broker leading most partitions, start it again 5 s later (not awaited: the
    load goes on meanwhile): every accepted item reaches its call once, in order, and the
    broker answers again and rejoins every in-sync replica set."""
    settings, base_env = pipeline_settings(cluster.bootstrap, f"cl{uuid.uuid4().hex[:8]}.")
    fault, after = broker_lost(cluster, down_s=DOWN_S, restart=True, await_restart=False)
    with chaos_pipeline(
        settings, base_env=base_env, state_dir=tmp_path, progress=_say, on_cluster=True
    ) as pipeline:
        result = steady_fault(
            pipeline, "broker-lost", fault, plan=PLAN, timing=TIMING, progress=_say, after=after
        )
        dead = [r.service.name for r in pipeline.exited()]
    verdict = result.verdict
    _say(
        f"{result.fault}: accepted {verdict.accepted}, delivered {verdict.delivered}, lost "
        f"{verdict.lost_count}, duplicated {verdict.duplicated_effects}, {result.details}"
    )
    assert not dead, f"services died: {dead}"
    assert_promise_held(result)
