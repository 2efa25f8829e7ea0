"""The logging context of one request: ids a route binds stay with that request.

A route binds the ids it handles (``call_control_id``, ``request_id``) with
``structlog.contextvars`` once it has validated them, so every line logged
while the request is handled names them (the rejection logged by the error
handler included). Under uvicorn each request runs in a task of its own, so
nothing leaks between requests anyway; this middleware makes that hold
however the app is run (in process, in tests), by restoring the context the
request found.
"""

from __future__ import annotations

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send


class RequestLogContext:
    """Restores the structlog context after each HTTP request (pure ASGI middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        outside = structlog.contextvars.get_contextvars()
        try:
            await self.app(scope, receive, send)
        finally:
            structlog.contextvars.clear_contextvars()
            structlog.contextvars.bind_contextvars(**outside)
