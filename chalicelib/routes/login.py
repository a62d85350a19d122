"""Pages: the home page, signing in by a link sent by e-mail, signing out."""
from __future__ import annotations

from chalice import Blueprint

from ..bootstrap import deps
from .common import FORM

bp = Blueprint(__name__)


@bp.route("/", methods=["GET"])
def home():
    from ..web import login as login_pages

    return login_pages.home(deps(), bp.current_request)


@bp.route("/connexion", methods=["GET"])
def login_page():
    from ..web import login as login_pages

    return login_pages.ask_form(deps(), bp.current_request)


@bp.route("/connexion", methods=["POST"], content_types=FORM)
def login_submit():
    from ..web import login as login_pages

    return login_pages.ask_submit(deps(), bp.current_request)


@bp.route("/connexion/{token}", methods=["GET"])
def login_landing(token):
    from ..web import login as login_pages

    return login_pages.landing(deps(), bp.current_request, token)


@bp.route("/connexion/session", methods=["POST"], content_types=FORM)
def login_landing_submit():
    from ..web import login as login_pages

    return login_pages.landing_submit(deps(), bp.current_request)


@bp.route("/deconnexion", methods=["POST"], content_types=FORM)
def logout_page():
    from ..web import login as login_pages

    return login_pages.logout(deps(), bp.current_request)
