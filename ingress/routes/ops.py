"""``GET /healthz``, ``/readyz`` and ``/metrics`` of the ingress."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from ingress.deps import Service

router = APIRouter(tags=["operations"])


class Liveness(BaseModel):
    status: Literal["ok", "stalled"]


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, dict[str, Any]]


@router.get(
    "/healthz",
    summary="Liveness",
    description="503 when the broker watch has stalled or the producer failed fatally.",
    response_model=Liveness,
    responses={503: {"model": Liveness, "description": "restart this process"}},
)
async def healthz(service: Service) -> JSONResponse:
    live = service.health.report().live and service.publisher.fatal_error is None
    return JSONResponse({"status": "ok" if live else "stalled"}, status_code=200 if live else 503)


@router.get(
    "/readyz",
    summary="Readiness",
    description="200 when the broker answers metadata, the topics exist and the producer is sound.",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "do not route traffic here yet"}},
)
async def readyz(service: Service) -> JSONResponse:
    report = service.health.report()
    return JSONResponse(
        {"status": "ready" if report.ready else "not_ready", "checks": report.checks},
        status_code=200 if report.ready else 503,
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}, "description": "text"}},
)
async def metrics(service: Service) -> Response:
    return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)
