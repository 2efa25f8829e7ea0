"""A local Kafka broker a fault scenario may kill and restart in place.

``OwnedBroker`` keeps its port for its whole life, so every client finds it
again after a restart. It signals only the broker process it started, by pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from devkit.errors import DevStackError
from devkit.localkafka import JarCache, LocalBroker
from devkit.stack import free_port


class OwnedBroker:
    """A local broker in ``data_dir`` on a port fixed for its life, so clients find it again."""

    def __init__(self, data_dir: Path, cache_dir: Path, *, java_home: Path | None = None) -> None:
        jars = JarCache.default(cache_dir / "kafka")
        self._broker = LocalBroker(data_dir, jars, java_home=java_home)
        self.port = free_port()
        self._pid: int | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self._broker.log_file

    def start(self) -> None:
        """Start it (again) on its port and wait until it answers a metadata request."""
        state = self._broker.start(port=self.port, heap_max="1g")
        self._pid = state.pid

    def kill(self) -> None:
        """SIGKILL the broker process (no shutdown of any kind), and reap it."""
        pid = self._pid
        if pid is None:
            raise DevStackError("the broker is not running")
        os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)  # it is this process's child: collect its exit status
        self._pid = None

    def stop(self) -> None:
        self._broker.stop()
        self._pid = None
