"""The pipeline as processes, with the handles a fault needs: kill, restart, add, measure.

``ChaosPipeline`` wraps ``devkit.dev.DevStack`` (every service a real
process on loopback, the emulator as the remote) and adds what a fault
scenario does to it: SIGKILL or SIGTERM one service by pid, start it again
with the same command line and environment (same ports, so its peers find it),
start a second streams worker, read a process's memory. ``OwnedBroker`` is a
local Kafka broker on a fixed port that the run may kill and restart in place.

It signals only processes it started (by pid, never by name), and stops every
one of them on exit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Self

import psutil

from callstream.config import AppConfig
from callstream.settings import Settings
from callstream.topics import Topics
from devkit.dev.config import demo_config
from devkit.dev.pipeline import DevOptions, DevPorts, DevStack
from devkit.dev.player import Target
from devkit.dev.processes import ProcessGroup, Running, ServiceSpec
from devkit.errors import DevStackError
from devkit.localkafka import JarCache, LocalBroker
from devkit.localkafka.broker import free_port

Progress = Callable[[str], None]
READY_TIMEOUT_S = 120.0


def _quiet(_: str) -> None:
    return None


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


class ChaosPipeline:
    """Every service as a process, plus the moves a fault scenario makes on them."""

    def __init__(
        self,
        settings: Settings,
        *,
        base_env: Mapping[str, str],
        state_dir: Path,
        config: AppConfig,
        progress: Progress = _quiet,
    ) -> None:
        self.state_dir = state_dir
        self.config = config
        self._progress = progress
        options = DevOptions(
            ports=DevPorts.free(), config=config, orders_delay_s=0.5, loyalty_delay_s=0.5
        )
        self._stack = DevStack(
            settings, base_env=base_env, state_dir=state_dir, options=options, progress=progress
        )
        # Restarted and extra processes; their output joins the stack's log files.
        self._group = ProcessGroup(state_dir / "logs", progress)
        self._latest: dict[str, Running] = {}
        self._topics = chaos_topics(settings.env.callstream_topic_prefix, config)

    def __enter__(self) -> Self:
        self._stack.__enter__()
        self._group.__enter__()
        self._latest = {running.spec.name: running for running in self._stack.running}
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._group.stop_all()
        finally:
            self._stack.__exit__(exc_type, exc, tb)

    # -- what a scenario needs to know ---------------------------------------------------
    @property
    def target(self) -> Target:
        stack = self._stack
        assert stack.conn is not None, "enter the pipeline first"
        return Target(
            ingress_url=stack.ingress_url,
            emulator_url=stack.emulator_url,
            token=stack.env["CALLSTREAM_INGRESS_TOKEN"],
            conn=stack.conn,
            topics=self._topics,
        )

    @property
    def env(self) -> dict[str, str]:
        """The services' environment (it holds the run's secrets: never print it)."""
        return dict(self._stack.env)

    @property
    def ingress_port(self) -> int:
        return self._stack.ports.ingress

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    def metrics_urls(self) -> dict[str, str]:
        """Every running service's /metrics, by name."""
        urls = {}
        for name, running in self._latest.items():
            ready = running.spec.ready_url
            if ready is not None and ready.endswith("/readyz") and name != "backends":
                urls[name] = ready.removesuffix("/readyz") + "/metrics"
        return urls

    def pid(self, name: str) -> int:
        return self._latest[name].process.pid

    def rss_bytes(self, name: str) -> int:
        """Resident memory of ``name``'s process and its children."""
        process = psutil.Process(self.pid(name))
        return process.memory_info().rss + sum(
            child.memory_info().rss for child in process.children(recursive=True)
        )

    def dead(self) -> list[str]:
        """Services whose latest process has exited (none should, unless a scenario did it)."""
        return [name for name, r in self._latest.items() if r.process.poll() is not None]

    # -- moves ------------------------------------------------------------------------------
    def kill(self, name: str) -> None:
        """SIGKILL ``name`` (its whole process group) and wait until it is gone."""
        running = self._latest[name]
        _signal(running, signal.SIGKILL)
        running.process.wait(timeout=30)
        self._progress(f"killed {name} (pid {running.process.pid}) with SIGKILL")

    def terminate(self, name: str, timeout_s: float = 60.0) -> int:
        """SIGTERM ``name`` and wait for it to exit; its exit status."""
        running = self._latest[name]
        _signal(running, signal.SIGTERM)
        try:
            code = running.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _signal(running, signal.SIGKILL)
            running.process.wait(timeout=30)
            raise DevStackError(f"{name} ignored SIGTERM for {timeout_s:.0f} s") from None
        self._progress(f"stopped {name} (pid {running.process.pid}) with SIGTERM: exit {code}")
        return code

    def restart(self, name: str) -> Running:
        """Start ``name`` again with the same command line and environment; wait until ready."""
        previous = self._latest[name]
        if previous.process.poll() is None:
            raise DevStackError(f"{name} is still running (pid {previous.process.pid})")
        return self._start(previous.spec)

    def add_streams_worker(self, name: str) -> Running:
        """A further streams worker in the same group, with its own data dir and ops port."""
        ops_port = free_port()
        argv = [sys.executable, "-m", "callstream_cli", "streams"]
        argv += ["--data-dir", str(self.state_dir / f"{name}-data"), "--ops-port", str(ops_port)]
        spec = replace(
            self._latest["streams"].spec,
            name=name,
            argv=argv,
            ready_url=f"http://127.0.0.1:{ops_port}/readyz",
        )
        return self._start(spec)

    def wait_ready(self, name: str, timeout_s: float = READY_TIMEOUT_S) -> None:
        self._group.wait_ready(self._latest[name], timeout_s=timeout_s)

    def wait_all_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        for name in self._latest:
            self.wait_ready(name, timeout_s)

    def _start(self, spec: ServiceSpec) -> Running:
        running = self._group.start(spec)
        self._latest[spec.name] = running
        self._progress(f"started {spec.name} (pid {running.process.pid})")
        self._group.wait_ready(running, timeout_s=READY_TIMEOUT_S)
        return running

    def forget(self, name: str) -> None:
        """Stop watching ``name`` (an extra worker a scenario stopped for good)."""
        running = self._latest.pop(name)
        if running.process.poll() is None:
            raise DevStackError(f"{name} is still running")


def _signal(running: Running, sig: signal.Signals) -> None:
    # Each service leads its own session: its group is it and its children only.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(running.process.pid, sig)


def chaos_config(prefix: str, *, partitions: int = 4) -> AppConfig:
    """The demo configuration with source topics under ``prefix`` too (a shared broker is safe)."""
    base = demo_config()
    sources = {
        name: spec.model_copy(update={"topic": f"{prefix}{spec.topic}"})
        for name, spec in base.sources.items()
    }
    topics = base.topics.model_copy(update={"partitions": partitions})
    return base.model_copy(update={"sources": sources, "topics": topics})


def chaos_topics(prefix: str, config: AppConfig) -> Topics:
    """The topics of a pipeline run under ``prefix`` with ``config``'s sources."""
    sources = {name: spec.topic for name, spec in config.sources.items()}
    return Topics(prefix=prefix, sources=sources)
