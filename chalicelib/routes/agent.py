"""Pages of the agent at a contact point: the dashboard, a new case, the search."""
from __future__ import annotations

from chalice import Blueprint

from ..bootstrap import deps
from .common import FORM

bp = Blueprint(__name__)


@bp.route("/tableau-de-bord", methods=["GET"])
def dashboard_page():
    from ..web import agent as agent_pages

    return agent_pages.dashboard(deps(), bp.current_request)


@bp.route("/nouveau-dossier", methods=["GET"])
def new_case_page():
    from ..web import agent as agent_pages

    return agent_pages.new_case_form(deps(), bp.current_request)


@bp.route("/nouveau-dossier", methods=["POST"], content_types=FORM)
def new_case_submit():
    from ..web import agent as agent_pages

    return agent_pages.new_case_submit(deps(), bp.current_request)


@bp.route("/recherche", methods=["GET"])
def search_page():
    from ..web import agent as agent_pages

    return agent_pages.search_form(deps(), bp.current_request)


@bp.route("/recherche", methods=["POST"], content_types=FORM)
def search_submit():
    from ..web import agent as agent_pages

    return agent_pages.search_submit(deps(), bp.current_request)
