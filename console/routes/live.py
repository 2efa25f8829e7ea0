"""Live updates (Server-Sent Events) for each page, and the replay button's endpoint."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from console.state import ApiRight, Console, ConsoleDep, Render
from console.view import rows
from console.view.board import DeadLetterView

SSE_INTERVAL_S = 0.25
"""How often a stream looks for a change (a burst of records becomes one update)."""
SSE_REFRESH_S = 5.0
"""An update at least this often anyway: ages and the latency window move with the clock."""

router = APIRouter()


async def _stream(console: Console, render: Render) -> AsyncIterator[ServerSentEvent]:
    seen, sent_at = -1, 0.0
    while True:
        version = console.board.version
        if version != seen or time.monotonic() - sent_at >= SSE_REFRESH_S:
            seen, sent_at = version, time.monotonic()
            # Off the event loop: the snapshot waits for the follower's lock and renders the
            # whole board, and every page, login and probe shares this loop.
            data = await run_in_threadpool(console.snapshot, render)
            yield ServerSentEvent(data=data, event="update")
        await asyncio.sleep(SSE_INTERVAL_S)


@router.get("/events/calls", response_class=EventSourceResponse)
async def calls(console: ConsoleDep, _: ApiRight, q: str = "") -> AsyncIterator[ServerSentEvent]:
    async for event in _stream(console, partial(rows.calls_page, query=q)):
        yield event


@router.get("/events/calls/{call_id}", response_class=EventSourceResponse)
async def call(console: ConsoleDep, _: ApiRight, call_id: str) -> AsyncIterator[ServerSentEvent]:
    async for event in _stream(console, partial(rows.call_page, call_id=call_id)):
        yield event


@router.get("/events/dead-letters", response_class=EventSourceResponse)
async def dead_letters(console: ConsoleDep, _: ApiRight) -> AsyncIterator[ServerSentEvent]:
    async for event in _stream(console, rows.dead_letters_page):
        yield event


def _letter_at(console: Console, partition: int, offset: int) -> DeadLetterView:
    with console.lock:
        for letter in console.board.dead_letters:
            if (letter.partition, letter.offset) == (partition, offset):
                return letter
    raise HTTPException(404, "no such dead letter in the console's view")


@router.post("/dead-letters/{partition}/{offset}/replay")
async def replay(
    request: Request, console: ConsoleDep, right: ApiRight, partition: int, offset: int
) -> dict[str, Any]:
    """Without ``confirm``: a dry run, which hands out a ``confirm``; with it: the replay."""
    if right != "replay" or console.replayer is None:
        raise HTTPException(403, "replaying needs the console's replay token")
    # A JSON body cannot be posted cross-site without a preflight the console never allows.
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(415, "send the request as application/json")
    body = await request.json()
    confirm = body.get("confirm") if isinstance(body, dict) else None
    letter = _letter_at(console, partition, offset)
    replayer = console.replayer
    if not confirm:
        report = await run_in_threadpool(replayer.dry_run, letter)
    else:
        done = await run_in_threadpool(replayer.execute, letter, str(confirm))
        if done is None:
            raise HTTPException(409, "run the dry run of this dead letter first")
        report = done
    return {
        "executed": report.executed,
        "found": report.found,
        "line": report.line,
        "confirm": report.confirm,
    }
