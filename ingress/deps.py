"""The routes' dependencies, as ``Annotated`` aliases: one per route, checked before anything else.

Each route has a single dependency that authenticates the caller and
resolves what the route targets (its service, tool, source), so that FastAPI
runs it before validating any header or reading the body: an unauthenticated
caller is answered 401 without the service parsing a byte it sent. One node,
not a tree of small ones, and ``async def``, because the benchmark showed
FastAPI's dependency resolution costing as much per node as the rest of a
request, and a plain ``def`` dependency going through a thread pool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Header, Path, Request

from callstream.config.sources import SourceSpec
from callstream.ids import MAX_CALL_CONTROL_ID_LENGTH, CallControlId
from ingress.access import bearer_token, require_token
from ingress.errors import RequestRejected
from ingress.identity import MAX_IDEMPOTENCY_KEY_LENGTH
from ingress.openapi import CALL_CONTROL_ID_SCHEMA, TOOL_NAME_PATTERN
from ingress.service import IngressService

_TOOL_NAME = re.compile(TOOL_NAME_PATTERN)
_CALL_ID_RULE = (
    f"1-{MAX_CALL_CONTROL_ID_LENGTH} ASCII letters, digits and . _ : = + ~ -, never '..'"
)


def service_of(request: Request) -> IngressService:
    """The ``IngressService`` ``create_app`` attached to the application."""
    return cast(IngressService, request.app.state.ingress)


def _presented(request: Request) -> str | None:
    return bearer_token(request.headers.get("authorization"))


@dataclass(frozen=True)
class ToolTarget:
    service: IngressService
    tool: str


@dataclass(frozen=True)
class SourceTarget:
    service: IngressService
    source: str
    spec: SourceSpec


async def _service(request: Request) -> IngressService:
    return service_of(request)


async def _tool_target(
    request: Request,
    tool_name: Annotated[str, Path(description="the tool's name, as the assistant calls it")],
) -> ToolTarget:
    service = service_of(request)
    token = service.settings.env.callstream_ingress_token
    if token is not None:  # /tools needs the token only when one is set (README, Configuration)
        require_token(_presented(request), token, endpoint="POST /tools/*")
    tools = service.settings.config.tools
    if tools and tool_name not in tools:
        raise RequestRejected(404, "unknown_tool", f"no tool {tool_name!r} is declared")
    if not tools and not _TOOL_NAME.fullmatch(tool_name):
        raise RequestRejected(
            404, "unknown_tool", "tool names are 1-64 letters, digits, '_' or '-'"
        )
    return ToolTarget(service, tool_name)


async def _supervisor_target(request: Request) -> IngressService:
    service = service_of(request)
    require_token(
        _presented(request),
        service.settings.env.callstream_ingress_token,
        endpoint="POST /calls/{call_control_id}/messages",
    )
    return service


async def _source_target(
    request: Request,
    source: Annotated[str, Path(description="a source configured under sources: in the YAML")],
) -> SourceTarget:
    service = service_of(request)
    spec = service.settings.config.sources.get(source)
    if spec is None:
        raise RequestRejected(404, "unknown_source", f"no source {source!r} is configured")
    require_token(
        _presented(request),
        service.settings.source_tokens.get(source),
        endpoint=f"POST /events/{source}",
    )
    return SourceTarget(service, source, spec)


Service = Annotated[IngressService, Depends(_service)]
"""For routes without credentials (the webhook verifies a signature, the probes are open)."""
ToolCaller = Annotated[ToolTarget, Depends(_tool_target)]
SupervisorCaller = Annotated[IngressService, Depends(_supervisor_target)]
SourceCaller = Annotated[SourceTarget, Depends(_source_target)]

CallControlIdHeader = Annotated[
    CallControlId,
    Header(
        alias="x-telnyx-call-control-id",
        description=f"the live call the tool was fired in: {_CALL_ID_RULE}",
        json_schema_extra=CALL_CONTROL_ID_SCHEMA,
    ),
]
CallControlIdPath = Annotated[
    CallControlId,
    Path(description=f"the live call: {_CALL_ID_RULE}", json_schema_extra=CALL_CONTROL_ID_SCHEMA),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="idempotency-key",
        max_length=MAX_IDEMPOTENCY_KEY_LENGTH,
        description=(
            "optional; a retry with the same key (and call) gets the same id, "
            "so it cannot become a second request"
        ),
    ),
]
