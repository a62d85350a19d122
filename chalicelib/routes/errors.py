"""What no other route answers: any unknown address ("/{proxy+}", API Gateway's greedy
variable: in AWS it catches every path no route matches, whatever its depth; devtools/
local_gateway.py does the same locally), and a GET on a form's address. Both get a French page
(or the API's JSON error). What API Gateway still answers itself (another method on an unknown
address) gets its GatewayResponses (infra/template.py, gateway_responses)."""
from __future__ import annotations

import re

from chalice import Blueprint

from ..bootstrap import deps

bp = Blueprint(__name__)
# Every method a browser or a client may send; OPTIONS stays API Gateway's own.
CATCH_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
_NOT_PAGES = ("/api/", "/_dev/", "/static/")


@bp.route("/{proxy+}", methods=CATCH_ALL_METHODS)
def unknown_address():
    from ..web import errors as error_pages

    return error_pages.not_found(deps(), bp.current_request)


# The form addresses answer_get_on_forms gave a GET: the methods each takes, and the app.
_FORM_ADDRESSES: dict[str, str] = {}
_app = None
# The view, registered by decoration as every view is: answer_get_on_forms, which runs in
# every function (app.py's top level), only registers it and never calls it.
_FORM_ADDRESS_VIEW = []


def _registered(view):
    _FORM_ADDRESS_VIEW.append(view)
    return view


@_registered
def form_address(**_params):
    """A GET on a form's address: a French 405 page and its Allow header."""
    from ..web import errors as error_pages

    assert _app is not None
    request = _app.current_request
    path = request.context["resourcePath"]
    return error_pages.method_not_allowed(deps(), request, path, _FORM_ADDRESSES[path])


def answer_get_on_forms(app) -> None:
    """Give every page address that only takes a form (POST) a GET that says so: a French 405
    page with its Allow header, not Chalice's JSON (locally) or API Gateway's 403 (in AWS).
    Called once every page is registered."""
    global _app
    _app = app
    for path, methods in sorted(app.routes.items()):
        if "GET" in methods or path.startswith(_NOT_PAGES) or path.endswith("+}"):
            continue
        _FORM_ADDRESSES[path] = ", ".join(sorted(methods))
        name = "form_address_" + re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_")
        app.route(path, methods=["GET"], name=name)(_FORM_ADDRESS_VIEW[0])
