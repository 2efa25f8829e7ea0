"""The embedded development broker: real Apache Kafka (KRaft) from its official jars.

Used when ``KAFKA_BOOTSTRAP_SERVERS`` is unset: by ``callstream kafka``, by
``callstream dev``, and by the test fixtures when no Docker engine answers. It
never listens beyond loopback and is not meant for production. ``LocalCluster``
runs several such brokers as one cluster, for replication and failover.
"""

from devkit.localkafka.broker import BrokerState, BrokerStatus, LocalBroker
from devkit.localkafka.cluster import LocalCluster
from devkit.localkafka.jars import JarCache
from devkit.localkafka.prerequisites import find_java, find_maven

__all__ = [
    "BrokerState",
    "BrokerStatus",
    "JarCache",
    "LocalBroker",
    "LocalCluster",
    "find_java",
    "find_maven",
]
