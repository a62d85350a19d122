"""Pages of the administrator: the directory's CSV import, previewed then applied."""
from __future__ import annotations

from chalice import Blueprint

from ..bootstrap import deps
from .common import FORM

bp = Blueprint(__name__)


@bp.route("/annuaire", methods=["GET"])
def directory_page():
    from ..web import admin as admin_pages

    return admin_pages.form(deps(), bp.current_request)


@bp.route("/annuaire/apercu", methods=["POST"], content_types=["multipart/form-data"])
def directory_preview():
    from ..web import admin as admin_pages

    return admin_pages.preview(deps(), bp.current_request)


@bp.route("/annuaire/appliquer", methods=["POST"], content_types=FORM)
def directory_apply():
    from ..web import admin as admin_pages

    return admin_pages.apply(deps(), bp.current_request)


@bp.route("/annuaire/contenu", methods=["GET"])
def directory_loaded_page():
    from ..web import admin as admin_pages

    return admin_pages.loaded(deps(), bp.current_request)
