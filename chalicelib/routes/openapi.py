"""/api/openapi.json: every JSON route of every blueprint, described."""
from __future__ import annotations

from chalice import Blueprint

from ..api import http
from . import common

bp = Blueprint(__name__)


@bp.route("/api/openapi.json", methods=["GET"])
def openapi():
    from ..api import openapi as spec

    return http.json_response(spec.build(common.api.operations))
