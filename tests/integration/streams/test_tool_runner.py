"""The tool runner inside a real worker, calling a real HTTP backend on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from callstream.kafka import KafkaConnection
from callstream.records import ToolResult, decode
from streams import testing as build
from tests.integration.streams.conftest import StreamsEnv, Tail, make_env, stop_workers

CALL = "v3:runner-call"


class Backend(BaseHTTPRequestHandler):
    """/loyalty answers with points for the customer; /broken always fails."""

    seen: ClassVar[list[tuple[str, dict[str, str], object]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        Backend.seen.append((self.path, dict(self.headers), body))
        if self.path == "/broken":
            self.send_response(503)
            self.end_headers()
            return
        answer = json.dumps({"points": 2500, "customer": body["customer_id"]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def backend() -> Iterator[str]:
    """A threaded HTTP server on 127.0.0.1 playing the customer's backend."""
    Backend.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def runner_env(
    kafka_conn: KafkaConnection, topic_prefix: str, tmp_path: Path, backend: str
) -> Iterator[StreamsEnv]:
    tools = f"""
  loyalty_http:
    backend: {{url: "{backend}/loyalty", timeout_s: 2, max_attempts: 2}}
    message: {{headline: LOYALTY POINTS, trigger_response: true}}
  broken_http:
    backend: {{url: "{backend}/broken", timeout_s: 2, max_attempts: 2}}
"""
    env = make_env(kafka_conn, topic_prefix, tmp_path, extra_tools=tools)
    yield env
    stop_workers(env)


def test_backends_are_called_and_their_answers_injected(runner_env: StreamsEnv) -> None:
    """A working backend's answer and a failing backend's honest error both reach the call."""
    t = runner_env.topics
    tail = Tail(runner_env.conn, [t.injections, t.tool_results])
    try:
        worker = runner_env.worker("runner")
        worker.wait_ready()
        runner_env.send(t.call_events, build.call_event(CALL, "call.initiated"))
        runner_env.send(
            t.tool_calls,
            build.tool_call(CALL, "r-ok", "loyalty_http", customer_id="C-42"),
            build.tool_call(CALL, "r-bad", "broken_http", customer_id="C-42"),
        )
        tail.wait(t.injections, 2)
        tail.settle(1)
        results = {
            r.request_id: r for r in (decode(ToolResult, x.value) for x in tail.on(t.tool_results))
        }
        injections = {i.cause_id: i for i in (x.injection() for x in tail.on(t.injections))}
    finally:
        tail.close()
    assert results["r-ok"].status == "ok"
    assert results["r-ok"].result == {"points": 2500, "customer": "C-42"}
    assert results["r-bad"].status == "error"
    assert results["r-bad"].error == "the backend answered 503 (2 attempts)"
    lines = injections["r-ok"].messages[0].content.splitlines()
    assert lines[0] == "[LOYALTY POINTS]"
    assert lines[2:7] == [
        "<<<DATA",
        "request: r-ok",
        "asked: customer_id C-42",
        "points: 2500",
        "customer: C-42",
    ]
    assert "could not look that up" in injections["r-bad"].messages[0].content
    paths = sorted(path for path, _, _ in Backend.seen)
    assert paths == ["/broken", "/broken", "/loyalty"]  # 503 is retried, once per attempt
    _, headers, body = next(s for s in Backend.seen if s[0] == "/loyalty")
    assert body == {"customer_id": "C-42"}
    assert headers["x-telnyx-call-control-id"] == CALL
    assert headers["x-callstream-request-id"] == "r-ok"
    assert len(tail.on(t.tool_results)) == 2  # one outcome per request
