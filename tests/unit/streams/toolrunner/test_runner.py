"""The tool runner against backends played by httpx.MockTransport: no network, no patching."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest

from callstream.config import BackendSpec
from streams import testing as build
from streams.toolrunner.http import HttpxBackendClient
from streams.toolrunner.runner import ToolRunner, backoff

CALL = build.tool_call("v3:call-1", "r-1", "lookup_order_status", order_id="ORD-12345")
BACKEND = BackendSpec.model_validate({"url": "http://orders.internal/lookup", "max_attempts": 3})

Handler = Callable[[httpx.Request], httpx.Response]


def runner(handler: Handler, *, max_bytes: int = 1000, concurrency: int = 4) -> ToolRunner:
    async def no_wait(_: float) -> None:
        return None

    client = HttpxBackendClient(httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    return ToolRunner(client, concurrency=concurrency, max_response_bytes=max_bytes, sleep=no_wait)


async def test_the_backend_gets_the_arguments_and_the_call_from_config_only() -> None:
    """POST to the configured URL, arguments as the JSON body, the call id in the header."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "SHIPPED"})

    result = await runner(handler).run(CALL, BACKEND)
    assert (result.status, result.result, result.request_id) == ("ok", {"status": "SHIPPED"}, "r-1")
    (request,) = seen
    assert (request.method, str(request.url)) == ("POST", "http://orders.internal/lookup")
    assert json.loads(request.content) == {"order_id": "ORD-12345"}
    assert request.headers["x-telnyx-call-control-id"] == "v3:call-1"
    assert request.headers["x-callstream-request-id"] == "r-1"


async def test_an_argument_cannot_choose_the_url() -> None:
    """A 'url' argument is only data in the body; the request goes where the config says."""
    call = build.tool_call("v3:c", "r-2", "t", url="http://169.254.169.254/latest/meta-data")
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return httpx.Response(204)

    result = await runner(handler).run(call, BACKEND)
    assert hosts == ["orders.internal"]
    assert (result.status, result.result) == ("ok", None)


async def test_a_redirect_is_never_followed() -> None:
    """A backend's redirect cannot send the runner to another host: it is a refusal, once."""
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return httpx.Response(302, headers={"location": "http://169.254.169.254/latest/"})

    result = await runner(handler).run(CALL, BACKEND)
    assert hosts == ["orders.internal"]
    assert result.status == "error"


@pytest.mark.parametrize(
    ("responses", "status", "detail", "attempts"),
    [
        ([503, 502, 200], "ok", None, 3),
        ([500, 500, 500], "error", "the backend answered 500 (3 attempts)", 3),
        ([404], "error", "the backend refused the request (404)", 1),
        (["timeout", 200], "ok", None, 2),
        (["timeout"] * 3, "error", "the backend timed out after 10s (3 attempts)", 3),
        (["refused"] * 3, "error", "could not be reached (ConnectError) (3 attempts)", 3),
    ],
)
async def test_failures_are_retried_when_retrying_can_help(
    responses: list[int | str], status: str, detail: str | None, attempts: int
) -> None:
    """5xx, timeouts and connection failures are retried; a 4xx is not; the end is a result."""
    calls = iter(responses)
    count = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        answer = next(calls)
        if answer == "timeout":
            raise httpx.ReadTimeout("slow", request=request)
        if answer == "refused":
            raise httpx.ConnectError("refused", request=request)
        assert isinstance(answer, int)
        return httpx.Response(answer, json={"ok": answer == 200})

    result = await runner(handler).run(CALL, BACKEND)
    assert result.status == status
    assert count == attempts
    if detail is None:
        assert result.error is None
    else:
        assert result.error is not None
        assert detail in result.error


async def test_an_oversized_answer_is_an_error_without_retry() -> None:
    """The answer is read in chunks and abandoned past the limit."""
    count = 0

    def handler(_: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        return httpx.Response(200, content=b"x" * 5000)

    result = await runner(handler, max_bytes=1000).run(CALL, BACKEND)
    assert (result.status, count) == ("error", 1)
    assert result.error == "the backend's answer is larger than 1000 bytes"


@pytest.mark.parametrize(
    ("content", "content_type", "value"),
    [
        (b'{"a": 1}', "application/json", {"a": 1}),
        (b"Shipped tomorrow", "text/plain", "Shipped tomorrow"),
        (b"", "application/json", None),
    ],
)
async def test_answers_become_results(content: bytes, content_type: str, value: object) -> None:
    """JSON answers are values; other answers are text."""
    result = await runner(
        lambda _: httpx.Response(200, content=content, headers={"content-type": content_type})
    ).run(CALL, BACKEND)
    assert (result.status, result.result) == ("ok", value)


async def test_concurrency_is_bounded() -> None:
    """No more than `concurrency` backend requests are in flight at once."""
    in_flight = peak = 0
    release = asyncio.Event()
    two_in_flight = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight == 2:
            two_in_flight.set()
        await release.wait()
        in_flight -= 1
        return httpx.Response(200, json={})

    client = HttpxBackendClient(httpx.AsyncClient(transport=httpx.MockTransport(slow)))
    tool_runner = ToolRunner(client, concurrency=2, max_response_bytes=100)
    tasks = [asyncio.create_task(tool_runner.run(CALL, BACKEND)) for _ in range(5)]
    await two_in_flight.wait()
    for _ in range(20):  # give the other three every chance to (wrongly) start
        await asyncio.sleep(0)
    assert peak == 2
    release.set()
    results = await asyncio.gather(*tasks)
    assert [r.status for r in results] == ["ok"] * 5
    assert peak == 2


def test_backoff_doubles_and_is_capped() -> None:
    """Waits grow exponentially with jitter and never pass the cap."""
    assert all(0.1 <= backoff(1) <= 0.2 for _ in range(50))
    assert all(0.4 <= backoff(3) <= 0.8 for _ in range(50))
    assert all(backoff(30) <= 5.0 for _ in range(50))
