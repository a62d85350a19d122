"""Documents' two routes: where S3 sends the browser back after an upload, and the link that
hands a document to a reader through a short-lived S3 address.

Registered in app.py with `app.register_blueprint(attachments.bp)`. The upload form itself is
templates/pages/_upload_form.html, given services.attachments.upload_form(...) as `upload`.
"""
from __future__ import annotations

from chalice import Blueprint, Response

from ..api import http
from ..domain.errors import Conflict, FileRefused, NotAllowed, NotAuthenticated, NotFound
from ..domain.references import normalize_reference
from . import pages

bp = Blueprint(__name__)

# ?erreur= codes on the case page after a refused upload (messages: error_messages()), and
# what the page says after ?envoye=piece.
REFUSED = {"type": "piece-type", "size": "piece-taille"}
CASE_CLOSED = "piece-clos"
UPLOADED = "Le document a été ajouté au dossier."


def error_messages() -> dict[str, str]:
    """The case page's message for each ?erreur= code an upload can come back with."""
    from ..services import attachments

    return {"piece-type": attachments.TYPE_REFUSED, "piece-taille": attachments.TOO_LARGE,
            CASE_CLOSED: attachments.CASE_CLOSED}


@bp.route("/dossiers/{ref}/pieces-jointes/ajout", methods=["GET"])
def upload_returned(ref):
    from ..bootstrap import deps

    return confirm(deps(), bp.current_request, ref)


@bp.route("/dossiers/{ref}/pieces-jointes/{message_id}/{index}", methods=["GET"])
def attachment_link(ref, message_id, index):
    from ..bootstrap import deps

    return download(deps(), bp.current_request, ref, message_id, index)


def _principal(deps, request):
    from ..services import auth

    return auth.principal_for(deps, http.cookie(request.headers, http.SESSION_COOKIE))[0]


def _not_found(request) -> Response:
    """The same page for a document that does not exist and one the reader may not see."""
    return pages.view(request, "not_found.html", status=404)


def confirm(deps, request, ref: str) -> Response:
    """S3's success_action_redirect (query: bucket, key, and etag from S3 itself)."""
    from ..services import attachments

    try:
        principal = _principal(deps, request)
    except NotAuthenticated:
        return pages.redirect("/connexion")
    key = (request.query_params or {}).get("key", "")
    try:
        view = attachments.confirm_upload(deps, principal, ref, key)
    except FileRefused as refused:
        return pages.redirect(f"/dossiers/{normalize_reference(ref)}?erreur={REFUSED[refused.reason]}")
    except (NotFound, NotAllowed):
        return _not_found(request)
    except Conflict:
        return pages.redirect(f"/dossiers/{normalize_reference(ref)}?erreur={CASE_CLOSED}")
    return pages.redirect(f"/dossiers/{view.ref}?envoye=piece")


def download(deps, request, ref: str, message_id: str, index: str) -> Response:
    from ..services import attachments

    try:
        principal = _principal(deps, request)
    except NotAuthenticated:
        return pages.login_redirect(request)
    if not (index.isascii() and index.isdigit()) or len(index) > 3:
        return _not_found(request)
    try:
        url = attachments.download_url(deps, principal, ref, message_id, int(index))
    except (NotFound, NotAllowed):
        return _not_found(request)
    return pages.redirect(url)
