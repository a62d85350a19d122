"""The public pages every French public site has, linked from the footer: accessibility, legal
notice, personal data, help."""
from __future__ import annotations

from chalice import Blueprint

from ..bootstrap import deps

bp = Blueprint(__name__)


@bp.route("/accessibilite", methods=["GET"])
def accessibility_page():
    from ..web import about

    return about.accessibility(deps(), bp.current_request)


@bp.route("/mentions-legales", methods=["GET"])
def legal_notice_page():
    from ..web import about

    return about.legal_notice(deps(), bp.current_request)


@bp.route("/donnees-personnelles", methods=["GET"])
def personal_data_page():
    from ..web import about

    return about.personal_data(deps(), bp.current_request)


@bp.route("/aide", methods=["GET"])
def help_page():
    from ..web import about

    return about.help_page(deps(), bp.current_request)
