"""Start, stop and inspect the local Kafka broker, one process per data dir.

The data dir holds everything of one broker: its storage (``kafka-data/``),
its configuration, its own log (``broker.log``), and ``broker.json``, the
record of the running process (pid, start time, ports). ``stop`` ends exactly
the process recorded there, after checking that pid still belongs to it, so a
recycled pid is never signalled. While a broker runs, ``bootstrap.json``
(``callstream.kafka.local``) tells services where it listens.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import psutil

from callstream.kafka.connection import KafkaConnection
from callstream.kafka.local import forget_local_bootstrap, record_local_bootstrap
from devkit.errors import LocalKafkaError
from devkit.localkafka.jars import JarCache
from devkit.localkafka.prerequisites import find_java
from devkit.localkafka.properties import log4j2_properties, server_properties
from devkit.localkafka.security import BrokerSecurity
from devkit.stack.ports import free_port, port_in_use

DEFAULT_PORT = 9092
# A SCRAM user's password as `format --add-scram` takes it, kept out of error messages.
_SCRAM_PASSWORD = re.compile(r"(password=)[^\],]*")
MAIN_CLASS = "kafka.Kafka"

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class BrokerState:
    """What ``broker.json`` records about the broker of one data dir."""

    pid: int | None
    create_time: float | None
    port: int
    controller_port: int
    data_dir: str
    kafka_version: str
    started_at: str
    security: str | None = None
    """``sasl_ssl`` or ``mtls`` for a secured broker (``devkit.localkafka.security``)."""

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass(frozen=True)
class BrokerStatus:
    """Whether the recorded broker is running, with a sentence saying so."""

    running: bool
    state: BrokerState | None
    note: str


def new_cluster_id() -> str:
    """A cluster id in Kafka's format: 16 random bytes, base64url, no padding."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):  # Kafka's own generator avoids these too
            return cluster_id


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def read_state(data_dir: Path) -> BrokerState | None:
    """What ``broker.json`` in ``data_dir`` records, or None if no broker was started there."""
    path = data_dir / "broker.json"
    try:
        return BrokerState(**json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:
        raise LocalKafkaError(f"{path} is unreadable ({exc}); remove it") from exc


def running_process(state: BrokerState) -> psutil.Process | None:
    """The live broker process ``state`` records, or None if it exited or the pid was reused."""
    if state.pid is None or state.create_time is None:
        return None
    try:
        proc = psutil.Process(state.pid)
        if abs(proc.create_time() - state.create_time) > 0.05:
            return None
        if proc.status() == psutil.STATUS_ZOMBIE or MAIN_CLASS not in proc.cmdline():
            return None
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return proc


@contextlib.contextmanager
def data_dir_lock(data_dir: Path) -> Iterator[None]:
    """Hold ``data_dir``'s lock file for the block (one launcher at a time per data dir)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class LocalBroker:
    """The Kafka broker whose storage and records live in ``data_dir``."""

    def __init__(self, data_dir: Path, jars: JarCache, *, java_home: Path | None = None) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self.jars = jars
        self.java_home = java_home
        # The broker, when this object started it: kept so that stopping it reaps
        # the child (a broker started by another process is stopped by pid).
        self._child: subprocess.Popen[bytes] | None = None

    # -- files --------------------------------------------------------------
    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "kafka-data"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "broker.log"

    @property
    def stdout_file(self) -> Path:
        return self.data_dir / "broker.out"

    @property
    def _state_file(self) -> Path:
        return self.data_dir / "broker.json"

    @property
    def _properties_file(self) -> Path:
        return self.data_dir / "server.properties"

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        # Two `kafka start`s on one data dir must not both launch a broker.
        return data_dir_lock(self.data_dir)

    def _read_state(self) -> BrokerState | None:
        return read_state(self.data_dir)

    def _write_state(self, state: BrokerState) -> None:
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(state), indent=2) + "\n")
        tmp.replace(self._state_file)

    # -- commands ---------------------------------------------------------------
    def status(self) -> BrokerStatus:
        """Whether this data dir's broker is running (does not contact the broker)."""
        state = self._read_state()
        if state is None:
            return BrokerStatus(False, None, f"no broker has been started in {self.data_dir}")
        if state.pid is None:
            return BrokerStatus(False, state, f"stopped (data in {self.data_dir})")
        if running_process(state) is None:
            return BrokerStatus(
                False, state, f"not running: pid {state.pid} has exited (stale record)"
            )
        return BrokerStatus(
            True,
            state,
            f"running at {state.bootstrap} (pid {state.pid}, Kafka {state.kafka_version})",
        )

    def start(
        self,
        *,
        port: int | None = None,
        heap_max: str = "1g",
        timeout_s: float = 90.0,
        progress: Progress = _quiet,
        security: BrokerSecurity | None = None,
    ) -> BrokerState:
        """Start the broker (formatting storage on first use) and wait until it answers.

        ``port`` None reuses the last port (else 9092); 0 picks a free one.
        Starting a running broker returns its state unchanged. With ``security``
        its one client listener is secured and its authorizer on.
        """
        with self._locked():
            current = self.status()
            if current.running and current.state is not None:
                progress(f"Kafka is already {current.note}")
                self._record(current.state)
                return current.state
            java = find_java(self.java_home)
            libs = self.jars.ensure(progress)
            chosen = self._choose_port(port, current.state)
            controller_port = self._controller_port()
            secured = (
                security.properties(
                    port=chosen, broker_port=free_port(), controller_port=controller_port
                )
                if security
                else None
            )
            self._properties_file.write_text(
                self._server_properties(chosen, controller_port, secured)
            )
            log4j = self.data_dir / "log4j2.properties"
            log4j.write_text(log4j2_properties(self.log_file))
            classpath = f"{libs}/*"
            if not (self.storage_dir / "meta.properties").is_file():
                progress(f"Formatting new Kafka storage in {self.storage_dir}...")
                self._format(
                    java.executable, classpath, log4j, security.format_args() if security else []
                )
            proc = self._launch(java.executable, classpath, log4j, heap_max)
            self._child = proc
            state = BrokerState(
                pid=proc.pid,
                create_time=psutil.Process(proc.pid).create_time(),
                port=chosen,
                controller_port=controller_port,
                data_dir=str(self.data_dir),
                kafka_version=self.jars.kafka_version,
                started_at=datetime.now(UTC).isoformat(),
                security=security.mode if security else None,
            )
            self._write_state(state)
            progress(
                f"Started Kafka {state.kafka_version} (pid {proc.pid}); waiting for it to answer..."
            )
            try:
                admin = security.client().connection(state.bootstrap) if security else None
                self._wait_ready(proc, chosen, admin or KafkaConnection(state.bootstrap), timeout_s)
            except LocalKafkaError:
                self._terminate(psutil.Process(proc.pid), 10.0)
                self._reap(proc.pid)
                self._write_state(replace(state, pid=None, create_time=None))
                raise
            self._record(state)
            return state

    def stop(self, *, timeout_s: float = 30.0, progress: Progress = _quiet) -> BrokerState | None:
        """Stop exactly the recorded broker; None if it was not running."""
        with self._locked():
            state = self._read_state()
            if state is None:
                return None
            proc = running_process(state)
            forget_local_bootstrap(self.data_dir)
            if proc is not None:
                progress(f"Stopping Kafka (pid {state.pid})...")
                self._terminate(proc, timeout_s)
                self._reap(proc.pid)
            stopped = replace(state, pid=None, create_time=None)
            self._write_state(stopped)
            return state if proc is not None else None

    # -- what a node of a cluster changes (devkit.localkafka.cluster) -------------------
    def _controller_port(self) -> int:
        return free_port()

    def _server_properties(
        self, port: int, controller_port: int, secured: Mapping[str, str] | None = None
    ) -> str:
        return server_properties(
            port=port, controller_port=controller_port, log_dirs=self.storage_dir, overrides=secured
        )

    def _format_options(self) -> list[str]:
        """How ``kafka-storage format`` makes this broker's quorum: a quorum of one."""
        return ["--standalone", "--cluster-id", new_cluster_id()]

    # -- helpers ------------------------------------------------------------------
    def _record(self, state: BrokerState) -> None:
        # Where services find this broker when KAFKA_BOOTSTRAP_SERVERS is unset (a
        # secured one cannot be used without its credentials, so it is not offered).
        assert state.pid is not None
        if state.security:
            return
        record_local_bootstrap(self.data_dir, host="127.0.0.1", port=state.port, pid=state.pid)

    @staticmethod
    def _choose_port(port: int | None, previous: BrokerState | None) -> int:
        if port == 0:
            return free_port()
        chosen = port if port is not None else (previous.port if previous else DEFAULT_PORT)
        if port_in_use(chosen):
            raise LocalKafkaError(
                f"port {chosen} on 127.0.0.1 is already in use (another Kafka?): pass --port 0 "
                "for a free port, or set KAFKA_BOOTSTRAP_SERVERS to use the broker that is there"
            )
        return chosen

    def _format(self, java: str, classpath: str, log4j: Path, extra: list[str]) -> None:
        command = [
            java, f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath,
            "kafka.tools.StorageTool", "format", *self._format_options(),
            "--config", str(self._properties_file), *extra,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            said = _SCRAM_PASSWORD.sub(r"\1***", done.stdout + done.stderr)
            raise LocalKafkaError(f"formatting Kafka storage failed:\n{said.strip()[-2000:]}")

    def _launch(
        self, java: str, classpath: str, log4j: Path, heap_max: str
    ) -> subprocess.Popen[bytes]:
        command = [
            java, "-Xms256m", f"-Xmx{heap_max}", "-XX:+UseG1GC", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log4j}", f"-Dkafka.logs.dir={self.data_dir}",
            "-cp", classpath, MAIN_CLASS, str(self._properties_file),
        ]  # fmt: skip
        with self.stdout_file.open("ab") as out:
            # A session of its own: Ctrl-C in the terminal that started it must not
            # kill a broker other processes are using; `kafka stop` ends it.
            return subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.data_dir,
            )

    def _wait_ready(
        self, proc: subprocess.Popen[bytes], port: int, conn: KafkaConnection, timeout_s: float
    ) -> None:
        """Return once ``port`` is open and answers ``conn``'s metadata request (as admin, on
        a secured broker)."""
        from confluent_kafka.admin import AdminClient  # heavy import, only when starting

        from callstream.kafka.config import admin_config

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LocalKafkaError(
                    f"the Kafka broker exited with status {proc.returncode} while starting.\n"
                    f"--- {self.log_file} ---\n{_tail(self.log_file)}\n"
                    f"--- {self.stdout_file} ---\n{_tail(self.stdout_file)}"
                )
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    pass
            except OSError:
                time.sleep(0.2)  # polling a port that is not open yet; not synchronisation
                continue
            admin = AdminClient(admin_config(conn, "callstream-kafka-start"))
            try:
                admin.list_topics(timeout=max(0.5, min(5.0, deadline - time.monotonic())))
            except Exception:  # noqa: BLE001 - any failure here means "not ready yet"
                time.sleep(0.2)
                continue
            return
        raise LocalKafkaError(
            f"the Kafka broker did not answer a metadata request on port {port} within "
            f"{timeout_s:.0f} s.\n--- {self.log_file} ---\n{_tail(self.log_file)}"
        )

    def _reap(self, pid: int) -> None:
        if self._child is not None and self._child.pid == pid:
            self._child.wait(timeout=10)  # it has exited; this only collects the status
            self._child = None

    @staticmethod
    def _terminate(proc: psutil.Process, timeout_s: float) -> None:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.terminate()
            _, alive = psutil.wait_procs([proc], timeout=timeout_s)
            for straggler in alive:
                straggler.kill()
            psutil.wait_procs(alive, timeout=10)
