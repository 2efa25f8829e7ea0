"""Running the emulator in a thread of this process, for tests that want it beside them.

``EmulatorThread`` serves on loopback, on a free port unless told otherwise,
and is a context manager that stops what it started. As a process of its own
(its CPU apart from the measured process's) it runs as ``callstream
emulator`` on devkit's ``Stack`` (``devkit.stack.services.emulator``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import uvicorn

from devkit.emulator.app import DEFAULT_BASE_PATH, create_app
from devkit.emulator.calls import DEFAULT_DEDUPE_WINDOW_S
from devkit.emulator.faults import Faults
from devkit.emulator.peer import IngressPeer

START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class EmulatorOptions:
    """How to serve the emulator."""

    api_key: str
    host: str = "127.0.0.1"
    port: int = 0
    base_path: str = DEFAULT_BASE_PATH
    dedupe_window_s: float = DEFAULT_DEDUPE_WINDOW_S
    faults: Faults = field(default_factory=Faults)
    peer: IngressPeer | None = None


def build_server(options: EmulatorOptions) -> uvicorn.Server:
    """A uvicorn server for the emulator (uvloop and httptools when installed)."""
    app = create_app(
        api_key=options.api_key,
        base_path=options.base_path,
        dedupe_window_s=options.dedupe_window_s,
        faults=options.faults,
        peer=options.peer,
    )
    config = uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        log_level="warning",
        access_log=False,
        lifespan="on",  # closes the emulator's connections to the ingress at shutdown
        # Longer than any client's idle keep-alive, so a pooled connection is
        # never closed under a client that is about to reuse it.
        timeout_keep_alive=75,
        backlog=4096,
    )
    return uvicorn.Server(config)


def bound_port(server: uvicorn.Server) -> int:
    """The port a started server listens on (the real one when 0 was asked)."""
    port: int = server.servers[0].sockets[0].getsockname()[1]
    return port


class _Urls:
    _host: str
    _base_path: str
    port: int

    @property
    def url(self) -> str:
        """The emulator's root, where ``/_emulator`` lives."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What ``TELNYX_BASE_URL`` should be for a client of this emulator."""
        return self.url + "/" + self._base_path.strip("/")


class EmulatorThread(_Urls):
    """The emulator served from a daemon thread of this process."""

    def __init__(self, options: EmulatorOptions) -> None:
        self._host = options.host
        self._base_path = options.base_path
        self._server = build_server(options)
        self._thread: threading.Thread | None = None
        self.port = 0

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.run, name="emulator", daemon=True)
        self._thread.start()
        deadline = START_TIMEOUT_S
        step = 0.01
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the emulator thread stopped before it served")
            self._thread.join(step)
            deadline -= step
            if deadline <= 0:
                raise RuntimeError("the emulator did not start in time")
        self.port = bound_port(self._server)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
