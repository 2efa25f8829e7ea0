"""A broker lost mid-call: faults for a pipeline on a three-broker cluster (replication 3,
``min.insync.replicas=2``, producers ``acks=all`` with idempotence).

The broker to kill is the one that leads most of the pipeline's partitions,
found with the Admin API's metadata: its loss moves the most leaders at once.
``broker_lost`` SIGKILLs it and either starts it again after ``down_s``
(it rejoins, catches up, and the in-sync replica sets grow back to three) or
leaves it down to the end (the pipeline goes on with the remaining two). Both
count recovery from the kill and report the longest gap in deliveries.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from confluent_kafka.admin import AdminClient

from callstream.config import AppConfig
from callstream.kafka import KafkaConnection, admin_config
from callstream.topics import Topics
from devkit.chaos.judge import longest_gap
from devkit.chaos.scenarios.base import After, Check, Fault, FaultReport, Session, answers_matching
from devkit.errors import LocalKafkaError
from devkit.localkafka.cluster import LocalCluster

SESSION_TIMEOUT_S = 20.0
"""The streams worker's and the injector's group sessions on a cluster: longer than a group
coordinator's move to another broker (the lost broker fenced after
``broker.session.timeout.ms``, 9 s, then the coordinator elected and loaded). librdkafka
times a session out on its own side meanwhile and rejoins: a static member (the streams
worker) is then fenced for good (librdkafka issue #3437); a dynamic one (the injector) waits
for a rebalance that first waits for its own stale membership to expire."""

RESTART_TIMEOUT_S = 120.0
"""How long a restarted broker may take to answer (its JVM's start and log recovery)."""
REJOIN_TIMEOUT_S = 90.0
"""How long a restarted broker may take to be back in every partition's in-sync replicas."""


def replicated(config: AppConfig) -> AppConfig:
    """``config`` for a three-broker cluster: topics of 3 replicas (``topics create`` adds
    ``min.insync.replicas=2``), group sessions past a coordinator's move."""
    session = {"session_timeout_s": SESSION_TIMEOUT_S}
    return config.model_copy(
        update={
            "topics": config.topics.model_copy(update={"replication_factor": 3}),
            "streams": config.streams.model_copy(update=session),
            "injector": config.injector.model_copy(update=session),
        }
    )


@dataclass(frozen=True)
class Placement:
    """One partition's leader and in-sync replicas (broker ids)."""

    leader: int
    isr: tuple[int, ...]


def pipeline_topics(topics: Topics) -> list[str]:
    """Every topic the pipeline reads or writes: its own, its internal ones, the sources."""
    return sorted({*topics.core().values(), *topics.internal().values(), *topics.sources.values()})


def placements(
    conn: KafkaConnection | AdminClient, names: Iterable[str]
) -> dict[tuple[str, int], Placement]:
    """Where each partition of ``names`` is led and replicated, from the cluster's metadata
    (through ``conn``, or an admin client a caller polling the cluster keeps)."""
    admin = conn if isinstance(conn, AdminClient) else _admin(conn)
    metadata = admin.list_topics(timeout=30)
    found = {}
    for name in names:
        topic = metadata.topics.get(name)
        if topic is None:
            continue
        for number, partition in topic.partitions.items():
            found[(name, number)] = Placement(partition.leader, tuple(sorted(partition.isrs)))
    return found


def _admin(conn: KafkaConnection) -> AdminClient:
    return AdminClient(admin_config(conn, "callstream-chaos-admin"))


def busiest_leader(placed: Mapping[tuple[str, int], Placement]) -> tuple[int, int]:
    """The broker that leads most partitions, and how many it leads (lowest id on a tie)."""
    led = Counter(p.leader for p in placed.values() if p.leader >= 0)
    if not led:
        raise ValueError("no partition has a leader")
    most = max(led.values())
    return min(broker for broker, n in led.items() if n == most), most


@dataclass
class _Kill:
    """Which broker the fault killed, and when (unix seconds)."""

    at: float = 0.0
    node: int = 0
    back_after_s: float | None = None
    """When the restarted broker answered again, in seconds after the kill."""
    restarting: threading.Thread | None = None
    restart_error: str = "it did not"


def broker_lost(
    cluster: LocalCluster, *, down_s: float = 20.0, restart: bool = True, await_restart: bool = True
) -> tuple[Fault, After]:
    """SIGKILL the broker leading most partitions; start it again ``down_s`` later, or (with
    ``restart=False``) keep the load on for ``down_s`` and leave it down to the end.

    With ``await_restart=False`` the fault ends as the restart begins and the load
    goes on without waiting for the broker to answer (a short run: the check that it
    rejoined waits for it after the load).
    """
    killed = _Kill()

    def fault(session: Session) -> FaultReport:
        conn, names = session.target.conn, pipeline_topics(session.target.topics)
        before = placements(conn, names)
        victim, led = busiest_leader(before)
        answers_before = dict(session.ledger.answers)
        pid = cluster.node(victim).kill()
        killed.at, killed.node = time.time(), victim
        time.sleep(down_s)  # the broker is away this long; the load meets it meanwhile
        details: dict[str, object] = {
            "killed_node": victim,
            "killed_pid": pid,
            "led_partitions": led,
            "partitions": len(before),
            "503_during_outage": answers_matching(session.ledger.answers, ["503"])
            - answers_matching(answers_before, ["503"]),
        }
        what = f"node {victim} (leader of {led} of {len(before)} partitions) SIGKILLed"
        if restart and not await_restart:
            killed.restarting = threading.Thread(target=restart_victim, name="broker-restart")
            killed.restarting.start()
            description = f"{what}, restarted {down_s:g} s later (not awaited)"
        elif restart:
            restart_victim()
            description = (
                f"{what}, restarted {down_s:g} s later "
                f"(answering again {killed.back_after_s:.0f} s after the kill)"
            )
        else:
            description = f"{what}, left down to the end"
        return FaultReport(
            description=f"{description}; recovery counted from the kill",
            end=killed.at,
            details=details,
        )

    def restart_victim() -> None:
        try:
            cluster.node(killed.node).start_on_its_port(
                heap_max="512m", timeout_s=RESTART_TIMEOUT_S
            )
        except LocalKafkaError as exc:
            killed.restart_error = str(exc)
            if killed.restarting is None:
                raise  # awaited: the scenario fails to run, saying why
            return
        killed.back_after_s = time.time() - killed.at

    def after(session: Session, report: FaultReport) -> None:
        if killed.restarting is not None:
            killed.restarting.join(RESTART_TIMEOUT_S + 30)
        if killed.back_after_s is not None:
            report.details["answering_again_after_s"] = killed.back_after_s
        applied = session.observe().applied
        gap = longest_gap(applied)
        if gap is not None:
            since_kill = gap.began_at - killed.at
            report.description += (
                f"; longest gap in deliveries {gap.seconds:.1f} s "
                f"(from {since_kill:+.1f} s after the kill)"
            )
            report.details |= {"longest_gap_s": gap.seconds, "gap_from_kill_s": since_kill}
        delivered = {entry.token for entry in applied}
        later = [a for a in session.ledger.accepted_items if a.at > killed.at]
        reached = sum(1 for a in later if a.item.token in delivered)
        report.checks.append(
            Check(
                "items accepted after the kill reached their calls",
                bool(later) and reached == len(later),
                f"{reached} of {len(later)}",
            )
        )
        if restart:
            back = killed.back_after_s
            report.checks.append(
                Check(
                    f"node {killed.node} answered again after its restart",
                    back is not None,
                    f"{back:.0f} s after the kill" if back is not None else killed.restart_error,
                )
            )
            report.checks.append(_rejoined(session, killed.node))
        else:
            report.checks.append(_carried_on_without(session, killed.node, cluster))

    return fault, after


def _rejoined(session: Session, node: int) -> Check:
    """Every partition has all three replicas in sync again, the restarted one among them."""
    admin, names = _admin(session.target.conn), pipeline_topics(session.target.topics)
    deadline = time.monotonic() + REJOIN_TIMEOUT_S
    started = time.monotonic()
    while True:
        lagging = [key for key, p in placements(admin, names).items() if node not in p.isr]
        if not lagging or time.monotonic() >= deadline:
            break
        time.sleep(0.5)  # polling the cluster's metadata for a condition
    return Check(
        f"node {node} back in every partition's in-sync replicas",
        not lagging,
        f"{len(lagging)} partitions without it"
        if lagging
        else f"within {time.monotonic() - started:.1f} s of the load's end",
    )


def _carried_on_without(session: Session, node: int, cluster: LocalCluster) -> Check:
    """The killed broker is still down, and every partition is led and in sync on the others."""
    placed = placements(session.target.conn, pipeline_topics(session.target.topics))
    short = [
        key
        for key, p in placed.items()
        if p.leader in (-1, node) or node in p.isr or len(p.isr) < 2
    ]
    down = not cluster.node(node).status().running
    return Check(
        f"node {node} still down, every partition led and 2 in sync on the other two",
        down and not short,
        f"node {node} {'down' if down else 'running'}; {len(short)} partitions short",
    )
