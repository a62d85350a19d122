"""Pages of the referent: the queue of the groups they belong to."""
from __future__ import annotations

from chalice import Blueprint

from ..bootstrap import deps

bp = Blueprint(__name__)


@bp.route("/file", methods=["GET"])
def queue_page():
    from ..web import referent as referent_pages

    return referent_pages.queue(deps(), bp.current_request)
