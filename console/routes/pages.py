"""The three pages (Calls with the latency panel, One call, Dead letters), server-rendered."""

from __future__ import annotations

from functools import partial
from typing import Any

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from console.access import Right
from console.state import ConsoleDep, PageRight
from console.view import rows

router = APIRouter()

TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.PackageLoader("console", "templates"),
        autoescape=True,  # every value from a topic is text, never markup
        undefined=jinja2.StrictUndefined,
    )
)


def _page(
    request: Request, console: ConsoleDep, right: Right, name: str, **context: Any
) -> HTMLResponse:
    context |= {"right": right, "following": console.follower.caught_up.is_set()}
    return TEMPLATES.TemplateResponse(request, name, context)


@router.get("/", response_class=HTMLResponse)
def calls(request: Request, console: ConsoleDep, right: PageRight, q: str = "") -> HTMLResponse:
    data = console.snapshot(partial(rows.calls_page, query=q))
    return _page(request, console, right, "calls.html", q=q, **data)


@router.get("/calls/{call_id}", response_class=HTMLResponse)
def call(request: Request, console: ConsoleDep, right: PageRight, call_id: str) -> HTMLResponse:
    data = console.snapshot(partial(rows.call_page, call_id=call_id))
    return _page(request, console, right, "call.html", call_id=call_id, **data)


@router.get("/dead-letters", response_class=HTMLResponse)
def dead_letters(request: Request, console: ConsoleDep, right: PageRight) -> HTMLResponse:
    data = console.snapshot(rows.dead_letters_page)
    return _page(request, console, right, "dead_letters.html", **data)
