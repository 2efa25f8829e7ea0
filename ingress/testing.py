"""Test helpers for the ingress: in-memory ``Publisher``, webhook signing, servers and processes.

Like ``structlog.testing``: shipped with the package, starts nothing. The
``MemoryPublisher`` keeps what it was asked to publish and can be told to fail
or to never acknowledge, so a test can check the routes' error paths and
deadlines without a broker; tests about durability use the real broker.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import queue
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

import uvicorn
from nacl.signing import SigningKey
from starlette.types import ASGIApp

from callstream.errors import KafkaError
from ingress.publisher import Headers
from ingress.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER


@dataclass(frozen=True)
class Published:
    """One record a ``MemoryPublisher`` acknowledged."""

    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


@dataclass
class MemoryPublisher:
    """Acknowledges every record at once, unless told to fail or to hang."""

    topics: frozenset[str] = frozenset()
    """What ``list_topics`` reports."""
    fail_with: KafkaError | None = None
    """Raised by ``publish`` instead of acknowledging."""
    hang: bool = False
    """``publish`` never returns (until cancelled), like a broker that never answers."""
    fatal_error: str | None = None
    records: list[Published] = field(default_factory=list)
    started: bool = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    async def publish(self, topic: str, key: bytes, value: bytes, headers: Headers = ()) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        if self.hang:
            await asyncio.Event().wait()
        self.records.append(Published(topic, key, value, tuple(headers)))

    async def list_topics(self, timeout_s: float) -> frozenset[str]:
        if self.fail_with is not None:
            raise self.fail_with
        return self.topics

    def queue_length(self) -> int:
        return 0


def telnyx_signature_headers(
    signing_key: SigningKey, body: bytes, *, timestamp: int
) -> dict[str, str]:
    """The headers Telnyx would send with ``body`` signed by ``signing_key`` at ``timestamp``.

    For tests and local tools that play Telnyx: generate a key with
    ``nacl.signing.SigningKey.generate()`` and give the ingress
    ``public_key_b64(key)`` as ``TELNYX_PUBLIC_KEY``.
    """
    signed = signing_key.sign(str(timestamp).encode("ascii") + b"|" + body)
    return {
        SIGNATURE_HEADER: base64.b64encode(signed.signature).decode("ascii"),
        TIMESTAMP_HEADER: str(timestamp),
    }


def public_key_b64(signing_key: SigningKey) -> str:
    """The base64 public key of ``signing_key``, as ``TELNYX_PUBLIC_KEY`` holds it."""
    return base64.b64encode(bytes(signing_key.verify_key)).decode("ascii")


@contextlib.contextmanager
def serve_in_thread(app: ASGIApp, *, startup_timeout_s: float = 60.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yield its base URL.

    Real HTTP over a real socket, lifespan included; the server is stopped
    (gracefully: in-flight requests finish) when the block ends.
    """
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="on", log_config=None, access_log=False
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
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()


def wait_for_line(
    process: subprocess.Popen[str], pattern: re.Pattern[str], *, timeout_s: float
) -> re.Match[str]:
    """The first line ``process`` prints on stdout that matches ``pattern``.

    Reads in a thread: polling the pipe with select misses lines that the text
    wrapper has already buffered, which hangs when two lines arrive together.
    """
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump(stream: IO[str]) -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, args=(process.stdout,), daemon=True).start()
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            raise AssertionError(f"exited with {process.wait()} before printing it: {seen}")
        seen.append(line)
        if match := pattern.search(line):
            return match
    raise AssertionError(f"no line matching {pattern.pattern!r} in {timeout_s:g} s: {seen}")
