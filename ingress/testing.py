"""Test helpers for the ingress: in-memory ``Publisher``, webhook signing, servers and processes.

Like ``structlog.testing``: shipped with the package, starts nothing. The
``MemoryPublisher`` keeps what it was asked to publish and can be told to fail
or to never acknowledge, so a test can check the routes' error paths and
deadlines without a broker; tests about durability use the real broker.
"""

from __future__ import annotations

import asyncio
import queue
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import IO

from nacl.signing import SigningKey

from callstream.errors import KafkaError
from devkit.emulator.webhooks import WebhookSigner
from ingress.publisher import Headers


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
    return WebhookSigner(signing_key).headers(body, timestamp)


def public_key_b64(signing_key: SigningKey) -> str:
    """The base64 public key of ``signing_key``, as ``TELNYX_PUBLIC_KEY`` holds it."""
    return WebhookSigner(signing_key).public_key_b64


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
