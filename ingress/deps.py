"""The routes' dependencies, as ``Annotated`` aliases.

Authentication and routing checks are dependencies so that FastAPI runs them
before it validates any header or reads the body: an unauthenticated caller
is answered 401 without the service parsing a byte it sent.
"""

from __future__ import annotations

import re
from typing import Annotated, cast

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from callstream.config.sources import SourceSpec
from callstream.errors import RequestRejected
from callstream.ids import MAX_CALL_CONTROL_ID_LENGTH, CallControlId
from ingress.access import require_token
from ingress.identity import MAX_IDEMPOTENCY_KEY_LENGTH
from ingress.openapi import CALL_CONTROL_ID_SCHEMA, TOOL_NAME_PATTERN
from ingress.service import IngressService

_TOOL_NAME = re.compile(TOOL_NAME_PATTERN)
_CALL_ID_RULE = (
    f"1-{MAX_CALL_CONTROL_ID_LENGTH} ASCII letters, digits and . _ : = + ~ -, never '..'"
)


def _service(request: Request) -> IngressService:
    return cast(IngressService, request.app.state.ingress)


Service = Annotated[IngressService, Depends(_service)]

_bearer = HTTPBearer(
    auto_error=False,
    description="CALLSTREAM_INGRESS_TOKEN, or the source's own token for /events/{source}",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _presented(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return credentials.credentials if credentials is not None else None


def _tools_caller(service: Service, credentials: Credentials) -> None:
    token = service.settings.env.callstream_ingress_token
    if token is not None:  # SPEC §5: /tools needs the token only when one is set
        require_token(_presented(credentials), token, endpoint="POST /tools/*")


def _supervisor_caller(service: Service, credentials: Credentials) -> None:
    require_token(
        _presented(credentials),
        service.settings.env.callstream_ingress_token,
        endpoint="POST /calls/{call_control_id}/messages",
    )


def _known_tool(
    service: Service,
    tool_name: Annotated[str, Path(description="the tool's name, as the assistant calls it")],
) -> str:
    tools = service.settings.config.tools
    if tools and tool_name not in tools:
        raise RequestRejected(404, "unknown_tool", f"no tool {tool_name!r} is declared")
    if not tools and not _TOOL_NAME.fullmatch(tool_name):
        raise RequestRejected(
            404, "unknown_tool", "tool names are 1-64 letters, digits, '_' or '-'"
        )
    return tool_name


def _source_caller(
    service: Service,
    credentials: Credentials,
    source: Annotated[str, Path(description="a source configured under sources: in the YAML")],
) -> tuple[str, SourceSpec]:
    spec = service.settings.config.sources.get(source)
    if spec is None:
        raise RequestRejected(404, "unknown_source", f"no source {source!r} is configured")
    require_token(
        _presented(credentials),
        service.settings.source_tokens.get(source),
        endpoint=f"POST /events/{source}",
    )
    return source, spec


ToolsCaller = Annotated[None, Depends(_tools_caller)]
SupervisorCaller = Annotated[None, Depends(_supervisor_caller)]
KnownTool = Annotated[str, Depends(_known_tool)]
SourceCaller = Annotated[tuple[str, SourceSpec], Depends(_source_caller)]

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
