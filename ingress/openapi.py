"""The OpenAPI document's pieces the routes cannot infer: error responses and raw JSON bodies.

Routes read their bodies themselves (to enforce the size limit while reading
and to authenticate before parsing), so their request bodies are described
here, and what depends on the YAML config (tool and source names, where a
source's fields sit) is filled in per deployment. FastAPI's generic 422
response is removed: this service answers validation errors with 400.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from callstream.ids import MAX_CALL_CONTROL_ID_LENGTH
from callstream.records import FieldMap
from callstream.settings import Settings
from ingress.problems import ErrorBody

_DESCRIPTIONS = {
    400: "malformed: a missing or invalid header, a body that is not a JSON object, "
    "or one that does not match the schema",
    401: "missing or wrong credentials (bearer token, or webhook signature)",
    403: "the credentials are good but the request asks for more than their policy allows "
    "(a supervisor message's role or trigger_response beyond guardrails)",
    404: "unknown tool or source, or a path that names none (e.g. a line break in it)",
    413: "the body is larger than the configured limit",
    415: "the body is declared as something other than JSON",
    503: "Kafka did not acknowledge in time, or the service is shedding load; nothing was "
    "accepted: retry after Retry-After seconds",
}

_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before retrying",
        "schema": {"type": "integer"},
    }
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entries documenting each error status a route can answer."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": ErrorBody, "description": _DESCRIPTIONS[status]}
        if status == 503:
            entry["headers"] = _RETRY_AFTER
        documented[status] = entry
    return documented


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """``openapi_extra`` declaring a required JSON request body with ``schema``."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


JSON_OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": True}

# The rule the YAML config applies to declared tool names: any name accepted could be declared.
TOOL_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

# ``check_call_control_id`` as a regular expression (without look-ahead, which not
# every client's generator supports): the allowed characters, never two dots in a row,
# never a dot alone. Runs of the other characters are separated by single dots, so the
# pattern is unambiguous and a validator matches it in linear time.
CALL_CONTROL_ID_PATTERN = r"^\.?[A-Za-z0-9_:=+~-]+(\.[A-Za-z0-9_:=+~-]+)*\.?$"
CALL_CONTROL_ID_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": CALL_CONTROL_ID_PATTERN,
    "minLength": 1,
    "maxLength": MAX_CALL_CONTROL_ID_LENGTH,
}
_ID: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 512}
_OPTIONAL_TEXT: dict[str, Any] = {"type": ["string", "null"]}

TELNYX_WEBHOOK: dict[str, Any] = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "type": "object",
            "required": ["event_type"],
            "properties": {
                "id": _ID | {"description": "the event's id (absent: the body's digest)"},
                "event_type": _ID | {"examples": ["call.answered"]},
                "occurred_at": {"type": "string", "format": "date-time"},
                "record_type": {"type": "string"},
                "payload": {
                    "type": ["object", "null"],
                    "description": "kept whole; an event without call_control_id is ignored",
                    "properties": {
                        "call_control_id": CALL_CONTROL_ID_SCHEMA,
                        "from": _OPTIONAL_TEXT,
                        "to": _OPTIONAL_TEXT,
                        "direction": _OPTIONAL_TEXT,
                        "customer_id": _OPTIONAL_TEXT,
                        "client_state": _OPTIONAL_TEXT,
                        "hangup_cause": _OPTIONAL_TEXT,
                    },
                },
            },
        }
    },
}


def _at(path: str, schema: dict[str, Any], *, required: bool) -> dict[str, Any]:
    """A schema constraining the value at dotted ``path`` of an object."""
    for step in reversed(path.split(".")):
        schema = {
            "type": "object",
            "properties": {step: schema},
            **({"required": [step]} if required else {}),
        }
    return schema


def source_event_schema(fields: FieldMap) -> dict[str, Any]:
    """The JSON schema of a source event whose fields sit where ``fields`` says."""
    some_id: dict[str, Any] = {"anyOf": [{"type": "string", "pattern": "\\S"}, {"type": "integer"}]}
    routed_by = [
        _at(fields.call_control_id, CALL_CONTROL_ID_SCHEMA, required=True),
        _at(fields.phone, some_id, required=True),
        _at(fields.customer_id, some_id, required=True),
    ]
    parts = [
        _at(fields.event_id, some_id, required=True),
        _at(fields.type, _ID, required=True),
        _at(fields.occurred_at, {"type": "string", "format": "date-time"}, required=False),
        {"anyOf": routed_by},
    ]
    if fields.data is not None:
        parts.append(_at(fields.data, {"type": ["object", "null"]}, required=False))
    return {
        "type": "object",
        "allOf": parts,
        "description": "needs an event id, a type, and a call id or a correlation key",
    }


def _describe_config(schema: dict[str, Any], settings: Settings) -> None:
    """Fill in what depends on the configuration: names, the events' shape, credentials."""
    config = settings.config
    paths = schema["paths"]
    schema.setdefault("components", {})["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "CALLSTREAM_INGRESS_TOKEN, or the source's own token for /events",
        }
    }
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    tools_open = settings.env.callstream_ingress_token is None
    paths["/tools/{tool_name}"]["post"]["security"] = [*bearer, {}] if tools_open else bearer
    paths["/events/{source}"]["post"]["security"] = bearer
    paths["/calls/{call_control_id}/messages"]["post"]["security"] = bearer
    tool_name = _path_parameter(paths["/tools/{tool_name}"]["post"], "tool_name")
    if config.tools:
        tool_name["schema"] = {"type": "string", "enum": sorted(config.tools)}
    else:
        tool_name["schema"] = {"type": "string", "pattern": TOOL_NAME_PATTERN}
    events = paths["/events/{source}"]["post"]
    _path_parameter(events, "source")["schema"] = {"type": "string", "enum": sorted(config.sources)}
    field_maps = {spec.fields for spec in config.sources.values()}
    if len(field_maps) == 1:
        body = events["requestBody"]["content"]["application/json"]
        body["schema"] = source_event_schema(field_maps.pop())


def _path_parameter(operation: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in operation["parameters"] if p["in"] == "path" and p["name"] == name)


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Serve an OpenAPI document true to this deployment: its tools and sources, no 422."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    operation.get("responses", {}).pop("422", None)
            schemas = schema.get("components", {}).get("schemas", {})
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
            _describe_config(schema, settings)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]
