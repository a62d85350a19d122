"""The login pages: ask for a link, then land on it and click (scanners must not log in);
and logging out."""
from __future__ import annotations

from pydantic import ValidationError

from ..api import http
from ..bootstrap import Deps
from ..domain.commands import LoginRequest, SessionCreate
from ..domain.errors import TokenInvalid
from ..domain.return_to import safe_return_path
from ..services import auth
from . import pages
from .session import current

PAGE_EXPIRED = "La page a expiré. Recommencez."
HOMES = {"agent": "/tableau-de-bord", "referent": "/file", "coordinator": "/territoire",
         "admin": "/annuaire", "moderator": "/moderation", "responder": "/reponses"}


def _form(request) -> tuple[dict[str, str], bool]:
    fields = pages.form_fields(request.raw_body)
    return fields, pages.csrf_ok(pages.cookie_csrf(request), fields.get("csrf"))


def home(deps: Deps, request):
    """Each role lands on its own page; anyone else on the login page."""
    signed = current(deps, request)
    return pages.redirect(HOMES.get(signed[1].role.value, "/connexion") if signed else "/connexion")


def _return_to(values) -> str | None:
    """The page to go back to once signed in (`suite`, from the address or the form), if it is
    one of this site's (domain/return_to.py)."""
    return safe_return_path((values or {}).get("suite"))


def ask_form(deps: Deps, request):
    query = request.query_params or {}
    signed_out = query.get("fait") == "deconnecte"
    return pages.view(request, "login.html", sent=False, email=None, error=None, signed_out=signed_out,
                      suite=_return_to(query))


def ask_submit(deps: Deps, request):
    fields, csrf_ok = _form(request)
    suite = _return_to(fields)
    if not csrf_ok:
        return pages.view(request, "login.html", status=400, sent=False, email=fields.get("email"),
                          error=PAGE_EXPIRED, signed_out=False, suite=suite)
    try:
        email = LoginRequest(email=fields.get("email", "")).email
    except ValidationError:
        return pages.view(request, "login.html", status=400, sent=False, email=fields.get("email", ""),
                          error="Cette adresse e-mail n'est pas valide. Exemple : prenom.nom@mairie.fr",
                          signed_out=False, suite=suite)
    auth.request_login(deps, email, suite)
    return pages.view(request, "login.html", sent=True, minutes=deps.settings.login_token_minutes)


def landing(deps: Deps, request, token: str):
    """Shows a button: mail scanners that open links must not burn the single-use token."""
    return pages.view(request, "login_landing.html", token=token, error=None,
                      suite=_return_to(request.query_params))


def landing_submit(deps: Deps, request):
    fields, csrf_ok = _form(request)
    if not csrf_ok:
        return pages.view(request, "login_landing.html", status=400, token="",
                          error="La page a expiré. Rouvrez le lien reçu par e-mail.")
    try:
        token = SessionCreate(token=fields.get("token", "")).token
        user, session_token = auth.open_session(deps, token)
    except (TokenInvalid, ValidationError):
        return pages.view(request, "login_landing.html", status=400, token="", error=auth.LINK_EXPIRED)
    return pages.redirect(_return_to(fields) or HOMES.get(user.role.value, "/"),
                          cookies=[http.session_cookie(session_token, deps.settings)])


def logout(deps: Deps, request):
    fields, csrf_ok = _form(request)
    if csrf_ok:
        auth.close_session(deps, http.cookie(request.headers, http.SESSION_COOKIE))
    return pages.redirect("/connexion?fait=deconnecte" if csrf_ok else "/",
                          cookies=[http.session_cookie("", deps.settings, expire=True)] if csrf_ok else None)
