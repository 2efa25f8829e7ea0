"""The local development broker's address, as the broker launcher records it in its data dir.

When ``KAFKA_BOOTSTRAP_SERVERS`` is unset, a service looks for a local broker
in the Kafka data dir (``CALLSTREAM_KAFKA_DIR``). The launcher (devkit's
``LocalBroker``) calls ``record_local_bootstrap`` once its broker answers and
``forget_local_bootstrap`` when it stops it; this module owns the file's
format, and never starts, stops or signals anything.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from pathlib import Path

from callstream.errors import ConfigError

RECORD = "bootstrap.json"


def record_local_bootstrap(data_dir: Path, *, host: str, port: int, pid: int) -> None:
    """Say that the broker ``pid`` serves ``host:port`` from ``data_dir`` (atomically)."""
    path = data_dir / RECORD
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"host": host, "port": port, "pid": pid}) + "\n")
    tmp.replace(path)


def forget_local_bootstrap(data_dir: Path) -> None:
    """Remove the record: no broker serves from ``data_dir`` any more."""
    (data_dir / RECORD).unlink(missing_ok=True)


def read_local_bootstrap(data_dir: Path) -> str | None:
    """``host:port`` of the broker recorded in ``data_dir`` if it still runs there, else None.

    A record outlives a broker that was killed; it counts only while its
    process exists and something answers on its port.
    """
    path = data_dir.expanduser() / RECORD
    try:
        record = json.loads(path.read_text())
        host, port, pid = str(record["host"]), int(record["port"]), int(record["pid"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path} is unreadable ({exc}); remove it") from exc
    if not _exists(pid) or not _answers(host, port):
        return None
    return f"{host}:{port}"


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def _answers(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1.0):
        return True
    return False
