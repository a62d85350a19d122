"""The OpenAPI 3.1 document, generated from the registered operations and pydantic models."""
from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from .http import Operation

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string", "description": "A plain French message"},
        "field": {"type": ["string", "null"], "description": "The field at fault"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": ["string", "null"]}, "message": {"type": "string"}}}},
    },
}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()]


def build(operations: list[Operation], title: str = "Relais API", version: str = "1") -> dict:
    models = {op.body for op in operations if op.body} | {
        op.response for op in operations
        if isinstance(op.response, type) and issubclass(op.response, BaseModel)}
    _, definitions = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}")
    schemas = {**definitions.get("$defs", {}), "Error": ERROR_SCHEMA}
    paths: dict[str, dict] = {}
    for op in operations:
        operation: dict[str, Any] = {
            "summary": op.summary,
            "operationId": re.sub(r"[^a-zA-Z0-9]+", "_", f"{op.method}_{op.path}").strip("_").lower(),
            "responses": {},
        }
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                      for name in re.findall(r"{(\w+)}", op.path)]
        if op.query:
            parameters += _query_parameters(op.query)
        if parameters:
            operation["parameters"] = parameters
        if op.body:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{op.body.__name__}"}}}}
        elif op.content_type != "application/json":
            operation["requestBody"] = {"required": True, "content": {
                op.content_type: {"schema": {"type": "string"}}}}
        if op.response is None:
            operation["responses"][str(op.status)] = {"description": "OK"}
        else:
            if isinstance(op.response, type) and issubclass(op.response, BaseModel):
                schema = {"$ref": f"#/components/schemas/{op.response.__name__}"}
            else:
                schema = TypeAdapter(op.response).json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
            operation["responses"][str(op.status)] = {
                "description": "OK", "content": {"application/json": {"schema": schema}}}
        for code, text in (("400", "Invalid input"), ("401", "Not signed in"),
                           ("403", "Not allowed"), ("404", "Not found"), ("409", "Conflict")):
            operation["responses"][code] = {"description": text, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        if "requestBody" in operation:   # a body without its media type: 415 (api/http.py)
            operation["responses"]["415"] = {"description": "Unsupported media type", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        if op.auth:
            operation["security"] = [{"session": []}]
        paths.setdefault(op.path, {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "Relais, the case network of Services Publics+."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "relais_session"}}},
    }
