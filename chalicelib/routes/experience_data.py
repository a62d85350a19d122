"""The open data of Services Publics+ experiences (public, no login)."""
from __future__ import annotations

from chalice import Blueprint

from ..bootstrap import deps

bp = Blueprint(__name__)


@bp.route("/experiences/donnees.csv", methods=["GET"])
def experiences_csv():
    from ..web import experience_data

    return experience_data.export(deps(), bp.current_request, "csv")


@bp.route("/experiences/donnees.json", methods=["GET"])
def experiences_json():
    from ..web import experience_data

    return experience_data.export(deps(), bp.current_request, "json")
