"""``/healthz``, ``/readyz`` and ``/metrics`` on a side port, for services without their own HTTP.

The streams worker and the injector run event loops that must not be
disturbed by probes, so this server runs in its own daemon thread (a
threading WSGI server) and only reads thread-safe state: the ``Health`` object
and a Prometheus registry. It never blocks the service.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

from callstream.ops.health import Health

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return  # probes every few seconds would drown the service's own logs


class OpsServer:
    """Serves the probes and metrics of one service on ``host:port`` (0 picks a free port)."""

    def __init__(
        self, *, host: str, port: int, health: Health, registry: CollectorRegistry
    ) -> None:
        self._health = health
        self._metrics = make_wsgi_app(registry)
        self._server = make_server(
            host, port, self._app, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        port: int = self._server.server_port
        return port

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="ops-server", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _app(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body: Iterable[bytes] = self._metrics(environ, start_response)
            return body
        report = self._health.report()
        if path == "/healthz":
            ok = report.live
            payload: dict[str, object] = {
                "status": "ok" if ok else "stalled",
                "seconds_since_beat": round(report.seconds_since_beat, 3),
            }
        elif path == "/readyz":
            ok = report.ready
            payload = {"status": "ready" if ok else "not_ready", "checks": report.checks}
        else:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [json.dumps({"error": "not_found", "detail": path}).encode()]
        status = "200 OK" if ok else "503 Service Unavailable"
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(payload).encode()]
