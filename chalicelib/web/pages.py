"""HTML pages: rendering, the signed-in layout, form parsing, the double-submit CSRF token.

Every page goes through `view()`: it knows who is signed in (or not), builds the role's
menu, and keeps one CSRF token per browser (a cookie) so several tabs can stay open.
"""
from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import parse_qs, quote, urlencode

from ..adapters.templates import render
from ..api.http import SECURITY_HEADERS

CSRF_COOKIE = "relais_csrf"
# The accessibility status every page's footer states (RGAA). Without a valid audit the RGAA
# requires « non conforme »; change it with an audit's results (/accessibilite says which).
ACCESSIBILITY_STATUS = "non conforme"
PAGE_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Type": "text/html; charset=utf-8",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'self'",
}


def _with_cookies(headers: dict, cookies: list[str] | None) -> dict:
    if cookies:  # Chalice sends a list as several Set-Cookie headers
        headers["Set-Cookie"] = cookies if len(cookies) > 1 else cookies[0]
    return headers


def page(template: str, status: int = 200, cookies: list[str] | None = None,
         form_targets: list[str] | None = None, **context):
    """form_targets: origins the page's forms may post to besides its own (S3, for uploads)."""
    from chalice import Response

    context = {"user": None, "nav": [], "notice": None, "csrf": "",
               "accessibility_status": ACCESSIBILITY_STATUS, **context}
    headers = dict(PAGE_HEADERS)
    if form_targets:
        headers["Content-Security-Policy"] = headers["Content-Security-Policy"].replace(
            "form-action 'self'", " ".join(["form-action 'self'", *form_targets]))
    return Response(body=render(f"pages/{template}", **context), status_code=status,
                    headers=_with_cookies(headers, cookies))


def redirect(location: str, cookies: list[str] | None = None):
    from chalice import Response

    return Response(body="", status_code=303,
                    headers=_with_cookies({"Location": location, "Cache-Control": "no-store"}, cookies))


def request_path(request) -> str:
    """The path and query the browser asked for, rebuilt from the route and its parameters
    (the same behind API Gateway's stage prefix as locally)."""
    path = (request.context or {}).get("resourcePath") or "/"
    for name, value in (request.uri_params or {}).items():
        path = path.replace(f"{{{name}}}", quote(value, safe=""))
    query = request.query_params or {}
    return f"{path}?{urlencode(dict(query))}" if query else path


def login_href(request, fallback: str | None = None) -> str:
    """The login page, which sends the visitor back to this page once signed in: the page
    asked for (a GET), else the fallback (a form posted by a signed-out visitor: its page)."""
    from ..domain.return_to import safe_return_path

    target = safe_return_path(request_path(request) if request.method == "GET" else fallback)
    return f"/connexion?{urlencode({'suite': target})}" if target else "/connexion"


def login_redirect(request):
    return redirect(login_href(request))


MAX_FORM_BYTES = 512 * 1024


def form_lists(raw_body: bytes | None) -> dict[str, list[str]]:
    """Every value of every field (checkbox groups send several). A body no form of ours sends
    (over 512 KB, or over 500 fields) reads as empty: its CSRF check fails, nothing is written."""
    raw = raw_body or b""
    if len(raw) > MAX_FORM_BYTES:
        return {}
    try:
        return parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=500)
    except ValueError:          # "Max number of fields exceeded"
        return {}


def form_fields(raw_body: bytes | None) -> dict[str, str]:
    return {name: values[0] for name, values in form_lists(raw_body).items()}


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_cookie(token: str, secure: bool) -> str:
    return "; ".join([f"{CSRF_COOKIE}={token}", "Path=/", "HttpOnly", "SameSite=Strict",
                      "Max-Age=3600"] + (["Secure"] if secure else []))


_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{32}$")


def csrf_token(request) -> tuple[str, list[str]]:
    """The browser's CSRF token, and the cookie to set when it has none yet."""
    from ..api.http import cookie
    from ..config import settings

    current = cookie(request.headers, CSRF_COOKIE) if request is not None else None
    if current and _TOKEN_SHAPE.match(current):
        return current, []
    token = new_csrf_token()
    return token, [csrf_cookie(token, settings().secure_cookies)]


def cookie_csrf(request) -> str | None:
    from ..api.http import cookie

    return cookie(request.headers, CSRF_COOKIE)


def csrf_ok(cookie_value: str | None, form_value: str | None) -> bool:
    """Bytes compared: compare_digest refuses str with characters outside ASCII (a forged form)."""
    return bool(cookie_value and form_value and hmac.compare_digest(
        cookie_value.encode("utf-8", "surrogatepass"), form_value.encode("utf-8", "surrogatepass")))


# --- the signed-in layout ---------------------------------------------------------------

NAV = {
    "agent": [("/tableau-de-bord", "Mes dossiers"), ("/nouveau-dossier", "Nouveau dossier"),
              ("/recherche", "Rechercher un dossier"), ("/remontees", "Remontées"),
              ("/experiences/guichet", "Expérience d'un usager")],
    "referent": [("/file", "Demandes à traiter")],
    "coordinator": [("/territoire", "Mon territoire"), ("/territoire/remontees", "Remontées"),
                    ("/territoire/rapport", "Rapport trimestriel"), ("/moderation", "Modération"),
                    ("/reponses", "Réponses aux usagers")],
    # Services Publics+ experiences (web/moderation.py): moderators, and the responder teams.
    "moderator": [("/moderation", "Modération"), ("/reponses", "Réponses aux usagers")],
    "responder": [("/reponses", "Expériences à répondre")],
    # Every page an admin may open (tests/integration/test_pages.py holds the menu to the routes).
    "admin": [("/annuaire", "Importer l'annuaire"), ("/annuaire/contenu", "Annuaire chargé"),
              ("/territoire", "Territoires"), ("/territoire/remontees", "Remontées"),
              ("/territoire/rapport", "Rapport trimestriel")],
}


def menu(user, current_path: str | None) -> list[tuple[str, str, bool]]:
    if user is None:
        return []
    return [(href, label, href == current_path) for href, label in NAV.get(user.role.value, [])]


def case_signin(request, ref: str):
    """A case's page (or its form) for a signed-out visitor, who followed an email's link: sign
    in, and come back to it."""
    return view(request, "case_signin.html", status=401,
                login=login_href(request, fallback=f"/dossiers/{quote(ref, safe='')}"))


def view(request, template: str, *, user=None, status: int = 200, current: str | None = None,
         cookies: list[str] | None = None, **context):
    """A page of the layout: header with the user and logout, the role's menu, a CSRF token."""
    token, csrf_cookies = csrf_token(request)
    return page(template, status, cookies=[*csrf_cookies, *(cookies or [])], user=user, csrf=token,
                nav=menu(user, current), **context)
