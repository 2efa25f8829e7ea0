"""The console's ASGI app: ``create_app`` wires the routes, the static files and the headers.

Pages are server-rendered (Jinja2, autoescaped); each carries a small script
that follows ``/events/...`` (Server-Sent Events) and re-renders its tables
from the same rows (``console.view.rows``) with ``textContent`` only. The
Content-Security-Policy allows no inline script or style, so a value from a
topic that slipped through as markup still could not run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from console.routes import live, ops, pages, session
from console.state import Console, NotAuthenticated

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def create_app(console: Console) -> FastAPI:
    """The console's app; its lifespan starts and stops the Kafka follower."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        console.follower.start()
        try:
            yield
        finally:
            await run_in_threadpool(console.follower.stop)

    app = FastAPI(
        title="callstream console",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.console = console
    static = resources.files("console").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for module in (pages, live, session, ops):
        app.include_router(module.router)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(NotAuthenticated)
    async def to_login(_: Request, __: Exception) -> Response:
        return RedirectResponse("/login", status_code=303)

    return app
