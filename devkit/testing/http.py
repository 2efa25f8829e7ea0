"""Serving an ASGI app over real HTTP from a thread, for tests that need a live peer."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Literal

import uvicorn
from starlette.types import ASGIApp


@contextlib.contextmanager
def serve_in_thread(
    app: ASGIApp, *, lifespan: Literal["on", "off"] = "on", startup_timeout_s: float = 60.0
) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yield its base URL.

    Real HTTP over a real socket, bound before the server starts (so the port
    is known and nothing races for it); the server is stopped gracefully
    (in-flight requests finish) when the block ends.
    """
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan=lifespan, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    sock = config.bind_socket()
    port = sock.getsockname()[1]
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the test server did not start (see the log above)")
        time.sleep(0.02)  # uvicorn announces its start only as a flag
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()
