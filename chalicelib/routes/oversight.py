"""Pages of the territory's coordinator: the territory at a glance, its late escalations."""
from __future__ import annotations

from chalice import Blueprint

from ..bootstrap import deps
from .common import FORM

bp = Blueprint(__name__)


@bp.route("/territoire", methods=["GET"])
def territory_page():
    from ..web import oversight as oversight_pages

    return oversight_pages.territory(deps(), bp.current_request)


@bp.route("/territoire/{code}/retards/{ref}/{group_id}", methods=["GET"])
def late_escalation_page(code, ref, group_id):
    from ..web import oversight as oversight_pages

    return oversight_pages.late_escalation(deps(), bp.current_request, code, ref, group_id)


@bp.route("/territoire/{code}/retards/{ref}/{group_id}/relance", methods=["POST"], content_types=FORM)
def late_escalation_nudge(code, ref, group_id):
    from ..web import oversight as oversight_pages

    return oversight_pages.nudge(deps(), bp.current_request, code, ref, group_id)
