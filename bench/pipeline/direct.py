"""The reference's direct approach, for comparison: a plain synchronous webhook server.

What a team builds without callstream, written here from the behaviour the
reference guide describes (none of its code): the assistant's async tool
webhook arrives; the handler takes the call id from
``x-telnyx-call-control-id`` (400 without it), does the lookup in the
request's own thread (``--lookup-s`` of sleep, standing in for the slow
backend query), renders a system message, POSTs it to the Add Messages API
with a plain blocking HTTP client, and only then answers 200.

Served by the standard library's ``ThreadingHTTPServer``: one thread per
connection, the model of the threaded development server the guide starts,
with that server's listen backlog (128). ``--pool N`` serves from N threads
instead, the shape of a production WSGI deployment (gunicorn's sync
workers, waitress's thread pool): further requests wait in the queue.

Run as ``python -m bench.pipeline.direct --remote URL [--port N] [--lookup-s S]
[--pool N]`` with ``TELNYX_API_KEY`` in the environment; prints
``listening on http://127.0.0.1:PORT`` and serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from typing import Any

from callstream.pathsegment import encode_segment

LISTEN_BACKLOG = 128  # werkzeug's, the threaded development server's


class ToolWebhook(BaseHTTPRequestHandler):
    """``POST /tools/<name>``: look up, inject, then answer."""

    remote = ""
    api_key = ""
    lookup_s = 2.0

    def log_message(self, format: str, *args: Any) -> None:
        return None  # one line per request to stderr would be this server's main cost

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        call_control_id = self.headers.get("x-telnyx-call-control-id")
        if not self.path.startswith("/tools/") or not call_control_id:
            self._answer(400, {"error": "missing call control id"})
            return
        try:
            arguments = json.loads(raw or b"{}")
        except ValueError:
            arguments = {}
        tool = self.path.removeprefix("/tools/")
        time.sleep(self.lookup_s)  # the slow lookup, in the request's own thread
        facts = ", ".join(f"{k}: {v}" for k, v in sorted(arguments.items()))
        message = f"[{tool.upper()} COMPLETE]\n{facts}\nShare these details with the customer now."
        status = self._inject(call_control_id, message)
        self._answer(200, {"status": "sent", "remote_status": status})

    def _inject(self, call_control_id: str, message: str) -> int:
        url = (
            f"{self.remote}/calls/{encode_segment(call_control_id)}"
            "/actions/ai_assistant_add_messages"
        )
        request = urllib.request.Request(  # noqa: S310 - the URL is the configured remote's
            url,
            data=json.dumps({"messages": [{"role": "system", "content": message}]}).encode(),
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return 0


class QuietAboutLeavers(HTTPServer):
    """A client that gave up (its webhook timeout) is counted by the client, not traced here."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # broken pipe or reset: the caller left before the answer
        super().handle_error(request, client_address)


class Threaded(ThreadingHTTPServer, QuietAboutLeavers):
    request_queue_size = LISTEN_BACKLOG


class Pooled(QuietAboutLeavers):
    """A fixed pool of request threads; further connections wait their turn."""

    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], threads: int) -> None:
        super().__init__(address, ToolWebhook)
        self._pool = ThreadPoolExecutor(threads)

    def process_request(self, request: Any, client_address: Any) -> None:
        self._pool.submit(self._serve_one, request, client_address)

    def _serve_one(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except OSError:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline.direct", description=__doc__)
    parser.add_argument("--remote", required=True, help="Add Messages base URL, e.g. .../v2")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--lookup-s", type=float, default=2.0)
    parser.add_argument("--pool", type=int, default=0, help="N request threads; 0: one each")
    args = parser.parse_args(argv)
    ToolWebhook.remote = args.remote.rstrip("/")
    ToolWebhook.api_key = os.environ.get("TELNYX_API_KEY", "")
    ToolWebhook.lookup_s = args.lookup_s
    address = ("127.0.0.1", args.port)
    server: HTTPServer = (
        Pooled(address, args.pool) if args.pool > 0 else Threaded(address, ToolWebhook)
    )
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    sys.stdout.write(f"listening on http://127.0.0.1:{server.server_address[1]}\n")
    sys.stdout.flush()
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
