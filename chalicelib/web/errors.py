"""French error pages for what no page answers: an unknown address (404), and a form's address
opened as a page (405, with its Allow header). A client of the JSON API (/api/...), or one that
does not ask for HTML, gets the API's JSON error instead."""
from __future__ import annotations

from ..api import http
from ..domain import errors
from . import pages
from .session import current

NOT_FOUND = "Cette page n'existe pas."
METHOD_NOT_ALLOWED = "Cette adresse reçoit un formulaire : elle ne s'ouvre pas comme une page."


def wants_html(request, path: str) -> bool:
    """A browser asks for HTML; the JSON API never answers with it."""
    if path == "/api" or path.startswith("/api/"):
        return False
    return "text/html" in (request.headers.get("accept") or "").lower()


def _page(deps, request, template: str, status: int):
    signed = current(deps, request)
    return pages.view(request, template, user=signed[1] if signed else None, status=status)


def not_found(deps, request):
    """Any address no route knows ("/{proxy+}": API Gateway gives the rest of the path)."""
    path = "/" + (request.uri_params or {}).get("proxy", "")
    if not wants_html(request, path):
        return http.json_response(http.error_body(errors.NotFound(NOT_FOUND)), 404)
    return _page(deps, request, "not_found.html", 404)


def method_not_allowed(deps, request, path: str, allowed: str):
    """A GET on a form's address (a POST only): a link followed, or the address typed again."""
    if wants_html(request, path):
        response = _page(deps, request, "method_not_allowed.html", 405)
    else:
        response = http.json_response({"error": "method_not_allowed", "message": METHOD_NOT_ALLOWED,
                                       "field": None}, 405)
    response.headers["Allow"] = allowed
    return response
