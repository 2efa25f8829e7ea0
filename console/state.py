"""What every route of the console shares: the board and its lock, access, the follower."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

from fastapi import Depends, HTTPException, Request
from prometheus_client import CollectorRegistry

from console.access import COOKIE, Access, Right
from console.replay import Replayer
from console.view.board import Board

Render = Callable[[Board, datetime], dict[str, Any]]
"""Builds what a page shows from the board at a time (``console.view.rows``; under the lock)."""


class Following(Protocol):
    """What the app needs of the Kafka follower (``console.follow.Follower``)."""

    caught_up: threading.Event
    failure: str | None

    def start(self) -> None: ...

    def stop(self, timeout_s: float = 10.0) -> None: ...


@dataclass
class Console:
    """Everything the routes share."""

    board: Board
    lock: threading.Lock
    access: Access
    follower: Following
    registry: CollectorRegistry
    replayer: Replayer | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    secure_cookie: bool = False

    def snapshot(self, render: Render) -> dict[str, Any]:
        """``render``'s rows, taken under the lock the follower folds under."""
        with self.lock:
            return render(self.board, self.clock())

    def right_of(self, request: Request) -> Right | None:
        return self.access.of(request.headers.get("authorization"), request.cookies.get(COOKIE))


class NotAuthenticated(Exception):
    """A page asked for without a valid token or cookie: sent to the login page."""


def console_of(request: Request) -> Console:
    found: Console = request.app.state.console
    return found


def _page_right(request: Request) -> Right:
    right = console_of(request).right_of(request)
    if right is None:
        raise NotAuthenticated
    return right


def _api_right(request: Request) -> Right:
    right = console_of(request).right_of(request)
    if right is None:
        raise HTTPException(401, "a console token is needed", {"WWW-Authenticate": "Bearer"})
    return right


PageRight = Annotated[Right, Depends(_page_right)]
"""A page's reader: without a token or cookie, the login page."""
ApiRight = Annotated[Right, Depends(_api_right)]
"""A stream's or an action's caller: without a token or cookie, 401."""
ConsoleDep = Annotated[Console, Depends(console_of)]
