"""Pages of one case, for its agent and its referents: the case and its thread, the forms that
act on it, and the e-mails set aside (quarantine). Its documents: chalicelib/web/attachments.py."""
from __future__ import annotations

from chalice import Blueprint

from ..bootstrap import deps
from .common import FORM

bp = Blueprint(__name__)


@bp.route("/dossiers/{ref}", methods=["GET"])
def case_page(ref):
    from ..web import case_page as case_pages

    return case_pages.show(deps(), bp.current_request, ref)


@bp.route("/dossiers/{ref}/reponse", methods=["POST"], content_types=FORM)
def case_answer(ref):
    from ..web import case_page as case_pages

    return case_pages.answer(deps(), bp.current_request, ref)


@bp.route("/dossiers/{ref}/prise-en-charge", methods=["POST"], content_types=FORM)
def case_acknowledge(ref):
    from ..web import case_page as case_pages

    return case_pages.acknowledge(deps(), bp.current_request, ref)


@bp.route("/dossiers/{ref}/transfert", methods=["POST"], content_types=FORM)
def case_forward(ref):
    from ..web import case_page as case_pages

    return case_pages.forward(deps(), bp.current_request, ref)


@bp.route("/dossiers/{ref}/message", methods=["POST"], content_types=FORM)
def case_message(ref):
    from ..web import case_page as case_pages

    return case_pages.post_message(deps(), bp.current_request, ref)


@bp.route("/dossiers/{ref}/saisine", methods=["POST"], content_types=FORM)
def case_escalate(ref):
    from ..web import case_page as case_pages

    return case_pages.escalate(deps(), bp.current_request, ref)


@bp.route("/dossiers/{ref}/cloture", methods=["POST"], content_types=FORM)
def case_close(ref):
    from ..web import case_page as case_pages

    return case_pages.close(deps(), bp.current_request, ref)


@bp.route("/dossiers/{ref}/reouverture", methods=["POST"], content_types=FORM)
def case_reopen(ref):
    from ..web import case_page as case_pages

    return case_pages.reopen(deps(), bp.current_request, ref)


@bp.route("/dossiers/{ref}/avis-telephone", methods=["POST"], content_types=FORM)
def case_phone_survey(ref):
    from ..web import case_page as case_pages

    return case_pages.phone_survey(deps(), bp.current_request, ref)


@bp.route("/dossiers/{ref}/messages/{message_id}/origine", methods=["GET"])
def case_message_source(ref, message_id):
    from ..web import message_source as source_pages

    return source_pages.show(deps(), bp.current_request, ref, message_id)


@bp.route("/dossiers/{ref}/quarantaine/{quarantine_id}", methods=["GET"])
def case_quarantined(ref, quarantine_id):
    from ..web import quarantine as quarantine_pages

    return quarantine_pages.show(deps(), bp.current_request, ref, quarantine_id)


@bp.route("/dossiers/{ref}/quarantaine/{quarantine_id}/ajouter", methods=["POST"], content_types=FORM)
def case_quarantined_release(ref, quarantine_id):
    from ..web import quarantine as quarantine_pages

    return quarantine_pages.release(deps(), bp.current_request, ref, quarantine_id)


@bp.route("/dossiers/{ref}/quarantaine/{quarantine_id}/ecarter", methods=["POST"], content_types=FORM)
def case_quarantined_discard(ref, quarantine_id):
    from ..web import quarantine as quarantine_pages

    return quarantine_pages.discard(deps(), bp.current_request, ref, quarantine_id)
