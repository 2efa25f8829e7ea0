"""Serving an ASGI app over real HTTP from a thread, for tests that need a live peer."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, Self

import uvicorn

START_TIMEOUT_S = 30.0


class ServedApp:
    """``app`` on 127.0.0.1 (a free port unless told), from a daemon thread; a context manager."""

    def __init__(self, app: Any, *, port: int = 0) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
            lifespan="off",
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="served-app", daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self._thread.start()
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the server thread stopped before it served")
            self._thread.join(0.01)  # waiting on the server's own start flag
            waited += 0.01
            if waited > START_TIMEOUT_S:
                raise RuntimeError("the server did not start in time")
        self.port = int(self._server.servers[0].sockets[0].getsockname()[1])
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(10)
