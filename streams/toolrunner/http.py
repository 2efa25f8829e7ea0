"""How the tool runner reaches a backend: one POST in, the status, type and capped body out.

``BackendClient`` is the single cut-off point for the runner's network I/O.
``AiohttpBackendClient`` is the production one: its pool hands a request a
connection in constant time. httpx's pool scans every connection it holds for
each request and each response, which at hundreds of lookups in flight is
quadratic: measured (py-spy on the streams worker, a burst of 400 two-second
lookups with 512 allowed at once), about half the worker's CPU went to that
scan, and the burst's results reached their calls seconds late. The same
measure made the injector choose aiohttp (README). ``HttpxBackendClient``
runs over any ``httpx.AsyncClient``, which takes a transport, so unit tests
play backends on ``httpx.MockTransport`` with no network and no patching.

Both follow no redirect (a backend cannot send the runner to another host),
read at most ``max_bytes`` of an answer, and raise only the tool-backend
errors: ``ToolBackendUnavailable`` for a timeout or a connection failure (worth
retrying), ``ToolBackendRejected`` for an answer over the size limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import httpx

from streams.errors import ToolBackendRejected, ToolBackendUnavailable

_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class BackendAnswer:
    """What a backend answered."""

    status: int
    content_type: str
    body: bytes


class BackendClient(Protocol):
    """Posts one request to a backend (never following a redirect)."""

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout_s: float, max_bytes: int
    ) -> BackendAnswer: ...

    async def aclose(self) -> None: ...


def _timed_out(timeout_s: float) -> ToolBackendUnavailable:
    return ToolBackendUnavailable(f"the backend timed out after {timeout_s:g}s")


def _unreachable(exc: Exception) -> ToolBackendUnavailable:
    return ToolBackendUnavailable(f"the backend could not be reached ({type(exc).__name__})")


def _too_large(max_bytes: int) -> ToolBackendRejected:
    return ToolBackendRejected(f"the backend's answer is larger than {max_bytes} bytes")


class AiohttpBackendClient:
    """A ``BackendClient`` over one aiohttp session with ``concurrency`` pooled connections.

    The session is made on first use, inside the running event loop, as aiohttp requires.
    """

    def __init__(self, *, concurrency: int) -> None:
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._concurrency, limit_per_host=0)
            # Backends answer JSON; nothing here needs cookies.
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._session

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout_s: float, max_bytes: int
    ) -> BackendAnswer:
        try:
            async with self._client().post(
                url,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout_s),
                allow_redirects=False,
            ) as response:
                content = bytearray()
                async for chunk in response.content.iter_chunked(_CHUNK_BYTES):
                    content += chunk
                    if len(content) > max_bytes:
                        raise _too_large(max_bytes)
                return BackendAnswer(
                    response.status, response.headers.get("content-type", ""), bytes(content)
                )
        except TimeoutError as exc:
            raise _timed_out(timeout_s) from exc
        except aiohttp.ClientError as exc:
            raise _unreachable(exc) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class HttpxBackendClient:
    """A ``BackendClient`` over an ``httpx.AsyncClient`` (whose transport tests may replace)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout_s: float, max_bytes: int
    ) -> BackendAnswer:
        try:
            async with self._client.stream(
                "POST",
                url,
                content=body,
                headers=dict(headers),
                timeout=timeout_s,
                follow_redirects=False,
            ) as response:
                content = bytearray()
                async for chunk in response.aiter_bytes():
                    content += chunk
                    if len(content) > max_bytes:
                        raise _too_large(max_bytes)
                return BackendAnswer(
                    response.status_code, response.headers.get("content-type", ""), bytes(content)
                )
        except httpx.TimeoutException as exc:
            raise _timed_out(timeout_s) from exc
        except httpx.TransportError as exc:
            raise _unreachable(exc) from exc

    async def aclose(self) -> None:
        await self._client.aclose()
