"""The broker's configuration files, rendered from a few facts (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def server_properties(
    *, port: int, controller_port: int, log_dirs: Path, overrides: Mapping[str, str] | None = None
) -> str:
    """A single-node KRaft broker+controller on loopback, sized for one developer machine.

    ``overrides`` replace or add keys (a node of a cluster: its id, quorum, replication;
    a secured broker: its listeners, TLS and authorizer).
    """
    lines = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(log_dirs),
        # One node: every internal topic has one replica.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Fewer internal partitions than the production default of 50 make the
        # first consumer group start in well under a second.
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.num.partitions": "10",
        "group.initial.rebalance.delay.ms": "0",
        # Topics are made explicitly by `callstream topics create` (changelogs
        # included), so a typo in a topic name fails instead of creating one.
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
        "log.retention.hours": "168",
    }
    lines |= overrides or {}
    return "".join(f"{key}={value}\n" for key, value in lines.items())


def log4j2_properties(log_file: Path) -> str:
    """Broker logging into a size-capped rolling file in the data dir, not the terminal."""
    return f"""\
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = {log_file}
appender.file.filePattern = {log_file}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
"""
