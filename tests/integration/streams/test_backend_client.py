"""The tool runner's production backend client (aiohttp) against real HTTP servers: it answers
as the runner expects, and a burst as large as the concurrency is served at once, the next
burst on the connections the first opened."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Receive, Scope, Send

from callstream.config import BackendSpec
from devkit.localkafka.broker import free_port
from devkit.testing.http import serve_in_thread
from streams import testing as build
from streams.errors import ToolBackendRejected, ToolBackendUnavailable
from streams.toolrunner.http import AiohttpBackendClient, BackendAnswer
from streams.toolrunner.runner import ToolRunner

CONCURRENCY = 120  # past httpx's default pool (100 connections, 20 kept alive)


class Gathering:
    """Answers a request only once ``expected`` are in progress together (or after 30 s, so a
    pool that cannot reach that many fails the test instead of hanging it); remembers which
    client port each came from."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.ports: list[int] = []
        self.peak = 0
        self._in_progress = 0
        self._all_here: asyncio.Event | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        while (await receive()).get("more_body"):
            pass
        self.ports.append(scope["client"][1])
        if self._all_here is None or self._all_here.is_set():
            self._all_here = asyncio.Event()
        all_here = self._all_here
        self._in_progress += 1
        self.peak = max(self.peak, self._in_progress)
        if self._in_progress == self.expected:
            all_here.set()
        try:
            async with asyncio.timeout(30):
                await all_here.wait()
        except TimeoutError:
            pass  # the peak tells the test what happened
        self._in_progress -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


def test_a_burst_as_large_as_the_concurrency_is_served_at_once_on_kept_connections() -> None:
    """Two bursts of ``concurrency`` lookups: each all in flight together, the second on the
    connections the first opened."""
    backend = Gathering(CONCURRENCY)

    async def burst(runner: ToolRunner, spec: BackendSpec, round_: int) -> list[str]:
        calls = [build.tool_call("v3:pool", f"r{round_}-{n}", "lookup") for n in range(CONCURRENCY)]
        results = await asyncio.gather(*(runner.run(call, spec) for call in calls))
        return [r.status for r in results]

    async def two_bursts(url: str) -> tuple[list[str], list[str]]:
        client = AiohttpBackendClient(concurrency=CONCURRENCY)
        runner = ToolRunner(client, concurrency=CONCURRENCY, max_response_bytes=1000)
        spec = BackendSpec.model_validate(
            {"url": f"{url}/lookup", "max_attempts": 1, "timeout_s": 60}
        )
        try:
            return await burst(runner, spec, 1), await burst(runner, spec, 2)
        finally:
            await client.aclose()

    with serve_in_thread(backend, lifespan="off") as url:
        first, second = asyncio.run(two_bursts(url))
    assert first == second == ["ok"] * CONCURRENCY
    assert backend.peak == CONCURRENCY, "every lookup of a burst was in flight at once"
    opened, reused = backend.ports[:CONCURRENCY], backend.ports[CONCURRENCY:]
    assert len(set(opened)) == CONCURRENCY
    assert set(reused) == set(opened), "the second burst opened no new connection"


async def _answers(scope: Scope, receive: Receive, send: Send) -> None:
    """/json answers JSON; /redirect points elsewhere; /big is 5,000 bytes; /slow never ends."""
    assert scope["type"] == "http"
    while (await receive()).get("more_body"):
        pass
    path = scope["path"]
    if path == "/slow":
        while (await receive())["type"] != "http.disconnect":
            pass  # answers nothing; ends when the client gives up
        return
    status, headers, body = {
        "/json": (200, [(b"content-type", b"application/json")], b'{"points": 7}'),
        "/redirect": (302, [(b"location", b"http://169.254.169.254/")], b""),
        "/big": (200, [(b"content-type", b"text/plain")], b"x" * 5000),
    }[path]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/json", BackendAnswer(200, "application/json", b'{"points": 7}')),
        ("/redirect", BackendAnswer(302, "", b"")),
        ("/big", ToolBackendRejected("the backend's answer is larger than 1000 bytes")),
        ("/slow", ToolBackendUnavailable("the backend timed out after 0.5s")),
    ],
)
def test_the_production_client_answers_as_the_runner_expects(
    path: str, expected: BackendAnswer | Exception
) -> None:
    """An answer comes back whole; a redirect is returned, not followed; a large answer is
    refused; a backend that does not answer in time is unavailable."""

    async def post(url: str) -> BackendAnswer:
        client = AiohttpBackendClient(concurrency=4)
        try:
            return await client.post(f"{url}{path}", b"{}", {}, timeout_s=0.5, max_bytes=1000)
        finally:
            await client.aclose()

    with serve_in_thread(_answers, lifespan="off") as url:
        if isinstance(expected, BackendAnswer):
            assert asyncio.run(post(url)) == expected
        else:
            with pytest.raises(type(expected), match=str(expected)):
                asyncio.run(post(url))


def test_a_backend_nobody_listens_on_is_unreachable() -> None:
    """A refused connection is a ToolBackendUnavailable naming what went wrong."""

    async def post() -> BackendAnswer:
        client = AiohttpBackendClient(concurrency=4)
        try:
            return await client.post(
                f"http://127.0.0.1:{free_port()}/", b"{}", {}, timeout_s=5, max_bytes=1000
            )
        finally:
            await client.aclose()

    with pytest.raises(ToolBackendUnavailable, match=r"could not be reached \(Client"):
        asyncio.run(post())
