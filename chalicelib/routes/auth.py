"""Signing in by a link sent by e-mail, the session, and who is signed in."""
from __future__ import annotations

from chalice import Blueprint

from .. import views
from ..api import http
from ..bootstrap import deps
from ..domain import commands
from . import common

bp = Blueprint(__name__)
api = common.api.on(bp)


@api.route("/api/auth/magic-link", "POST", summary="Recevoir un lien de connexion par e-mail",
           body=commands.LoginRequest, status=202, auth=False)
def request_login(body: commands.LoginRequest):
    from ..services import auth

    auth.request_login(deps(), body.email)
    return {"message": "Si cette adresse est connue, un lien de connexion vient d'être envoyé."}


@api.route("/api/auth/session", "POST", summary="Ouvrir une session avec le jeton du lien",
           body=commands.SessionCreate, response=views.UserView, auth=False)
def open_session(body: commands.SessionCreate):
    from ..services import auth

    d = deps()
    user, token = auth.open_session(d, body.token)
    return http.json_response(views.UserView.of(user).model_dump(mode="json"), 200, {
        "Set-Cookie": http.session_cookie(token, d.settings)})


@api.route("/api/auth/logout", "POST", summary="Fermer la session", status=204, auth=False)
def logout():
    from ..services import auth

    d = deps()
    auth.close_session(d, http.cookie(bp.current_request.headers, http.SESSION_COOKIE))
    return http.json_response(None, 204, {"Set-Cookie": http.session_cookie("", d.settings, expire=True)})


@api.route("/api/me", "GET", summary="Qui suis-je", response=views.UserView, auth=False)
def me():
    return views.UserView.of(common.signed_in(bp.current_request)[1])
