"""The broker's rendered configuration and the jar cache's naming."""

from __future__ import annotations

from pathlib import Path

from devkit.localkafka.broker import new_cluster_id
from devkit.localkafka.jars import JarCache, packaged_pom
from devkit.localkafka.properties import server_properties


def _parse(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def test_broker_listens_on_loopback_only() -> None:
    """Every listener binds 127.0.0.1; nothing is reachable from another host."""
    props = _parse(server_properties(port=9092, controller_port=9093, log_dirs=Path("/d")))
    for key in ("listeners", "advertised.listeners", "controller.quorum.bootstrap.servers"):
        for address in props[key].split(","):
            assert "127.0.0.1:" in address, (key, address)


def test_topics_are_never_created_implicitly() -> None:
    """A typo in a topic name fails instead of silently creating a new topic."""
    props = _parse(server_properties(port=1, controller_port=2, log_dirs=Path("/d")))
    assert props["auto.create.topics.enable"] == "false"


def test_cluster_ids_have_kafkas_format() -> None:
    """22 base64url characters (16 bytes), never starting with '-'."""
    ids = {new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)


def test_jar_cache_is_keyed_by_version_and_pom(tmp_path: Path) -> None:
    """A changed pom gets a fresh folder; the same pom reuses the cached one."""
    pom = packaged_pom()
    cache = JarCache(tmp_path, pom)
    assert cache.kafka_version.startswith("4.")
    assert cache.libs == JarCache(tmp_path, pom).libs
    assert cache.libs != JarCache(tmp_path, pom + "<!-- changed -->").libs
    assert not cache.is_ready()
