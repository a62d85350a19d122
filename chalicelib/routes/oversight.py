"""Pages of the territory's coordinator: the territory at a glance."""
from __future__ import annotations

from chalice import Blueprint

from ..bootstrap import deps

bp = Blueprint(__name__)


@bp.route("/territoire", methods=["GET"])
def territory_page():
    from ..web import oversight as oversight_pages

    return oversight_pages.territory(deps(), bp.current_request)
