"""Probes and metrics (no token: they show nothing from the topics)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from console.state import ConsoleDep

router = APIRouter()


@router.get("/healthz", response_class=PlainTextResponse)
def healthz() -> str:
    return "ok"


@router.get("/readyz", response_class=PlainTextResponse)
def readyz(console: ConsoleDep, response: Response) -> str:
    """Ready once every followed topic was read up to where it ended at the start."""
    follower = console.follower
    if follower.failure is not None:
        response.status_code = 503
        return "reading the topics failed"
    if not follower.caught_up.is_set():
        response.status_code = 503
        return "rebuilding the view from the topics"
    return "ready"


@router.get("/metrics")
def metrics(console: ConsoleDep) -> Response:
    return Response(generate_latest(console.registry), media_type=CONTENT_TYPE_LATEST)
