"""Logging in with a console token (a cookie derived from it), and out."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from console.access import COOKIE, session_value
from console.routes.pages import TEMPLATES
from console.state import ConsoleDep

MAX_LOGIN_BODY = 4096

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "login.html", {"failed": False})


@router.post("/login", response_model=None)
async def login(request: Request, console: ConsoleDep) -> Response:
    body = await request.body()
    token = ""
    if len(body) <= MAX_LOGIN_BODY:
        token = (parse_qs(body.decode(errors="replace")).get("token") or [""])[0]
    access = console.access
    right = access.by_token(token) if token else None
    if right is None:
        return TEMPLATES.TemplateResponse(request, "login.html", {"failed": True}, status_code=401)
    granted = access.replay_token if right == "replay" else access.read_token
    assert granted is not None
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        session_value(granted),
        httponly=True,
        samesite="strict",
        secure=console.secure_cookie,
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response
