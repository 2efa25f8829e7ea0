"""``create_app``: the emulator as an ASGI app: remote API under its base path, control aside."""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from devkit.emulator import control, outbound, replies
from devkit.emulator.api import ADD_MESSAGES_ROUTE, EmulatorState, add_messages
from devkit.emulator.calls import DEFAULT_DEDUPE_WINDOW_S, CallBook
from devkit.emulator.faults import FaultPlan, Faults
from devkit.emulator.messaging import MESSAGES_PATH, TextBook, send_message
from devkit.emulator.peer import IngressPeer

DEFAULT_BASE_PATH = "/v2"


async def _not_found(request: Request, exc: Exception) -> Response:
    # Any other path answers as the real API does for a URL it does not know.
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 405:
        return replies.error_response(405, replies.BAD_REQUEST, "Method not allowed.")
    return replies.error_response(
        404, replies.NOT_FOUND, "The requested resource or URL could not be found."
    )


def create_app(
    *,
    api_key: str,
    base_path: str = DEFAULT_BASE_PATH,
    dedupe_window_s: float = DEFAULT_DEDUPE_WINDOW_S,
    faults: Faults | None = None,
    clock: Callable[[], float] = time.time,
    rng: random.Random | None = None,
    peer: IngressPeer | None = None,
) -> Starlette:
    """An emulator accepting ``api_key``, serving the API under ``base_path`` (e.g. ``/v2``)."""
    if not api_key:
        raise ValueError("the emulator needs an API key to check")
    base = "/" + base_path.strip("/") if base_path.strip("/") else ""
    state = EmulatorState(
        api_key=api_key,
        book=CallBook(dedupe_window_s=dedupe_window_s, clock=clock),
        faults=FaultPlan(faults, rng=rng),
        base_path=base,
        peer=peer,
        texts=TextBook(clock=clock),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await state.close()

    app = Starlette(
        lifespan=lifespan,
        routes=[
            Route(base + ADD_MESSAGES_ROUTE, add_messages, methods=["POST"]),
            Route(base + MESSAGES_PATH, send_message, methods=["POST"]),
            *control.routes,
            *outbound.routes,
        ],
        exception_handlers={404: _not_found, 405: _not_found},
    )
    app.state.emulator = state
    return app
