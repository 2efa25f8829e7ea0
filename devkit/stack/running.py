"""What to run (``Service``) and a started instance of it (``Running``)."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Service:
    """How to run one process, where it listens, and how to tell that it is ready."""

    name: str
    """Unique within its stack (``streams``, ``streams-2``); its log is ``<name>.log``."""
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    port: int | None = None
    """Where its HTTP server (API or ops) listens; the launcher chose it and passed it in."""
    ready_path: str | None = "/readyz"
    """GET answering 200 there means ready; None: ready once ``port`` accepts connections
    (or at once, without a port)."""
    kind: str = ""
    """What it is (``streams`` for every streams worker); its name when empty."""
    stop_signal: signal.Signals = signal.SIGTERM
    """What asks it to stop gracefully (a profiler wrapping it may want SIGINT)."""
    cwd: Path | None = None

    @property
    def group(self) -> str:
        return self.kind or self.name

    def url(self, path: str = "") -> str:
        """``http://127.0.0.1:<port><path>``."""
        if self.port is None:
            raise ValueError(f"{self.name} listens on no port")
        return f"http://127.0.0.1:{self.port}{path}"


@dataclass
class Running:
    """A started process of a ``Service``, with its output in ``log_path``."""

    service: Service
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log_lines(self) -> list[str]:
        """Every line in its log file so far (restarts of the same name append to it)."""
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_lines()[-lines:]) or "(no log)"
