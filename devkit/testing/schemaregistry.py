"""A Schema Registry over HTTP for tests whose producer and worker are separate processes.

No Confluent-compatible registry server could be had from the package
registries this project reaches (README, "Source formats"), and
confluent-kafka's in-memory registry (``mock://``) lives inside one client
object. This app puts that in-memory registry — confluent-kafka's own
``MockSchemaRegistryClient``: its id assignment, its lookups, its errors —
behind the part of the Confluent REST API that the serializers and
deserializers use, so the test's ``AvroSerializer`` and a streams worker
process share schema ids through a real ``SchemaRegistryClient`` over HTTP.

It is a test double, not a registry: no compatibility checks, no modes, no
persistence. ``unavailable`` makes it answer 503 (a registry that is down),
``credentials`` makes it demand basic auth.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient, SchemaRegistryError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class RegistryState:
    """The schemas (confluent-kafka's in-memory registry) and the switches a test flips."""

    def __init__(self, credentials: str | None = None) -> None:
        self.store = SchemaRegistryClient.new_client({"url": "mock://devkit-registry"})
        self.credentials = credentials
        self.unavailable = False
        self.requests = 0


def _answer(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=CONTENT_TYPE)


def _error(exc: SchemaRegistryError) -> JSONResponse:
    body = {"error_code": exc.error_code, "message": exc.error_message}
    return _answer(body, exc.http_status_code)


def create_registry_app(state: RegistryState) -> FastAPI:
    """The REST subset: register, schema by id, subject version; 503 while ``unavailable``."""
    app = FastAPI(title="devkit schema registry (test double)")

    @app.middleware("http")
    async def gate(request: Request, call_next: Any) -> Any:
        state.requests += 1
        if state.unavailable:
            return _answer({"error_code": 50301, "message": "unavailable (test switch)"}, 503)
        if state.credentials is not None:
            expected = "Basic " + base64.b64encode(state.credentials.encode()).decode()
            given = request.headers.get("authorization", "")
            if not secrets.compare_digest(given.encode(), expected.encode()):
                return _answer({"error_code": 40101, "message": "unauthorized"}, 401)
        return await call_next(request)

    @app.post("/subjects/{subject}/versions")
    async def register(subject: str, request: Request) -> JSONResponse:
        schema = Schema.from_dict(await request.json())
        try:
            registered = state.store.register_schema_full_response(subject, schema)
        except SchemaRegistryError as exc:
            return _error(exc)
        return _answer(registered.to_dict())

    @app.get("/schemas/ids/{schema_id}")
    async def by_id(schema_id: int) -> JSONResponse:
        try:
            return _answer(state.store.get_schema(schema_id).to_dict())
        except SchemaRegistryError as exc:
            return _error(exc)

    @app.get("/subjects/{subject}/versions/{version}")
    async def version(subject: str, version: str) -> JSONResponse:
        try:
            found = state.store.get_version(
                subject, "latest" if version == "latest" else int(version)
            )
        except SchemaRegistryError as exc:
            return _error(exc)
        return _answer(found.to_dict())

    return app
