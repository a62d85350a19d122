"""The JSON API's edge: parse, authenticate, call one service, shape the response.

Domain errors become HTTP errors here, and only here. Every route registered through
JsonApi.route is also described in the OpenAPI document.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ValidationError

from ..adapters.errors import throttled
from ..domain import errors
from ..domain.validation import french_errors

logger = Logger(service="relais", child=True)
SESSION_COOKIE = "relais_session"
MAX_JSON_BYTES = 256 * 1024
_STATUS = {
    errors.InvalidInput: 400,
    errors.TokenInvalid: 400,
    errors.NotAuthenticated: 401,
    errors.NotAllowed: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.TooManyRequests: 429,
}
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass
class Operation:
    path: str
    method: str
    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any
    status: int
    auth: bool
    content_type: str = "application/json"


def status_of(error: errors.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 400


def error_body(error: errors.DomainError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": error.code, "message": error.message, "field": error.field}
    field_errors = getattr(error, "errors", None)
    if field_errors:
        body["errors"] = field_errors
    return body


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None):
    from chalice import Response

    return Response(body="" if body is None else json.dumps(body, ensure_ascii=False),
                    status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8",
                             **SECURITY_HEADERS, **(headers or {})})


def validation_error(exc: ValidationError, prefix: str = "") -> errors.InvalidInput:
    field_errors = french_errors(exc.errors())
    if prefix:
        field_errors = [{**e, "field": f"{prefix}.{e['field']}" if e["field"] else prefix}
                        for e in field_errors]
    first = field_errors[0] if field_errors else {"field": None, "message": "Requête invalide."}
    return errors.InvalidInput(first["message"], field=first["field"], errors=field_errors)


def parse_json(raw: bytes | None, model: type[BaseModel]) -> BaseModel:
    if raw and len(raw) > MAX_JSON_BYTES:
        raise errors.InvalidInput("La requête est trop volumineuse.", field=None)
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise errors.InvalidInput("Le corps de la requête n'est pas un JSON valide.") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from exc


def parse_query(params: dict[str, str] | None, model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(params or {})
    except ValidationError as exc:
        raise validation_error(exc) from exc


def _content_type_is(header: str | None, expected: str, body: bytes | None) -> bool:
    """An empty POST needs no Content-Type; a body must come with the expected one, never be
    guessed (a JSON body without its type is what a cross-site form or a confused client sends)."""
    if not header:
        return not body
    return header.split(";")[0].strip().lower() == expected


def cookie(headers, name: str) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:  # a malformed Cookie header is treated as absent
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def session_cookie(token: str, settings, expire: bool = False) -> str:
    """HttpOnly, SameSite=Lax, and Secure in every stage but dev (plain http on localhost)."""
    max_age = 0 if expire else settings.session_hours * 3600
    parts = [f"{SESSION_COOKIE}={token}", "Path=/", "HttpOnly", "SameSite=Lax", f"Max-Age={max_age}"]
    if settings.secure_cookies:
        parts.append("Secure")
    return "; ".join(parts)


def _serialise(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, list):
        return [_serialise(item) for item in result]
    return result


class JsonApi:
    """Registers JSON routes on a Chalice app or blueprint and keeps their description for OpenAPI."""

    def __init__(self, app, principal_loader: Callable[[Any], Any], is_dev: Callable[[], bool],
                 operations: list[Operation] | None = None):
        self.app = app
        self.operations: list[Operation] = [] if operations is None else operations
        self._load_principal = principal_loader
        self._is_dev = is_dev

    def on(self, router) -> JsonApi:
        """The same API on a blueprint: its routes join this one list of operations (one document)."""
        return JsonApi(router, self._load_principal, self._is_dev, self.operations)

    def route(self, path: str, method: str, *, summary: str, body: type[BaseModel] | None = None,
              query: type[BaseModel] | None = None, response: Any = None, status: int = 200,
              auth: bool = True, content_type: str = "application/json", dev_only: bool = False):
        """Register a JSON route. dev_only routes answer 404, before reading anything, outside dev."""
        if not dev_only:
            self.operations.append(Operation(path, method, summary, body, query, response, status,
                                             auth, content_type))
        takes_body = method in ("POST", "PUT", "PATCH")

        def decorator(view: Callable[..., Any]):
            @functools.wraps(view)
            def handler(**path_params: str):
                request = self.app.current_request
                if dev_only and not self._is_dev():
                    return json_response(error_body(errors.NotFound("Cette adresse n'existe pas.")), 404)
                if takes_body and not _content_type_is(request.headers.get("content-type"), content_type,
                                                       request.raw_body):
                    return json_response({"error": "unsupported_media_type", "field": "Content-Type",
                                          "message": f"Envoyez le contenu au format {content_type}."}, 415)
                try:
                    kwargs: dict[str, Any] = dict(path_params)
                    if auth:
                        kwargs["principal"] = self._load_principal(request)
                    if body is not None:
                        kwargs["body"] = parse_json(request.raw_body, body)
                    if query is not None:
                        kwargs["query"] = parse_query(request.query_params, query)
                    result = view(**kwargs)
                except errors.DomainError as exc:
                    return json_response(error_body(exc), status_of(exc))
                except Exception as exc:
                    if throttled(exc):
                        logger.warning("AWS throttled a request after retries")
                        return json_response(
                            {"error": "busy", "field": None,
                             "message": "Le service est très sollicité : réessayez dans un instant."},
                            503, {"Retry-After": "2"})
                    raise
                if hasattr(result, "status_code") and hasattr(result, "to_dict"):
                    return result
                if result is None and status == HTTPStatus.NO_CONTENT:
                    return json_response(None, 204)
                return json_response(_serialise(result), status)

            # Chalice's own media-type check answers in its own format: ours runs instead.
            options: dict[str, Any] = {"methods": [method]}
            if takes_body:
                options["content_types"] = ["*/*"]
            self.app.route(path, **options)(handler)
            return view

        return decorator
