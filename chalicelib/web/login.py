"""The login pages: ask for a link, then land on it and click (scanners must not log in)."""
from __future__ import annotations

from pydantic import ValidationError

from ..api import http
from ..bootstrap import Deps
from ..domain.commands import LoginRequest, SessionCreate
from ..domain.errors import TokenInvalid
from ..services import auth
from . import pages

PAGE_EXPIRED = "La page a expiré. Rechargez-la puis recommencez."


def _with_fresh_csrf(deps: Deps, template: str, **context):
    token = pages.new_csrf_token()
    return pages.page(template, csrf=token, error=None,
                      cookies=[pages.csrf_cookie(token, deps.settings.secure_cookies)], **context)


def _form(request) -> tuple[dict[str, str], bool]:
    fields = pages.form_fields(request.raw_body)
    return fields, pages.csrf_ok(http.cookie(request.headers, pages.CSRF_COOKIE), fields.get("csrf"))


def ask_form(deps: Deps):
    return _with_fresh_csrf(deps, "login.html", sent=False, email=None)


def ask_submit(deps: Deps, request):
    fields, csrf_ok = _form(request)
    if not csrf_ok:
        return pages.page("login.html", 400, csrf="", sent=False, email=None, error=PAGE_EXPIRED)
    try:
        email = LoginRequest(email=fields.get("email", "")).email
    except ValidationError:
        return pages.page("login.html", 400, csrf=fields.get("csrf"), sent=False,
                          email=fields.get("email"), error="Cette adresse e-mail n'est pas valide.")
    auth.request_login(deps, email)
    return pages.page("login.html", sent=True, minutes=deps.settings.login_token_minutes)


def landing(deps: Deps, token: str):
    """Shows a button: mail scanners that open links must not burn the single-use token."""
    return _with_fresh_csrf(deps, "login_landing.html", token=token)


def landing_submit(deps: Deps, request):
    fields, csrf_ok = _form(request)
    if not csrf_ok:
        return pages.page("login_landing.html", 400, token="", csrf="",
                          error="La page a expiré. Rouvrez le lien reçu par e-mail.")
    try:
        token = SessionCreate(token=fields.get("token", "")).token
        _, session_token = auth.open_session(deps, token)
    except (TokenInvalid, ValidationError):
        return pages.page("login_landing.html", 400, token="", csrf="", error=auth.LINK_EXPIRED)
    return pages.redirect("/", cookies=[http.session_cookie(session_token, deps.settings)])
