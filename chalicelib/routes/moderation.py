"""Services Publics+ experiences, the staff's pages: moderation by the territory's coordination,
answers by the responder teams (chalicelib/web/moderation.py)."""
from __future__ import annotations

from chalice import Blueprint

from ..bootstrap import deps
from .common import FORM

bp = Blueprint(__name__)


@bp.route("/moderation", methods=["GET"])
def moderation_home():
    from ..web import moderation

    return moderation.moderation_home(deps(), bp.current_request)


@bp.route("/moderation/{code}", methods=["GET"])
def moderation_page(code):
    from ..web import moderation

    return moderation.moderation_page(deps(), bp.current_request, code)


@bp.route("/moderation/{code}/{experience_id}", methods=["POST"], content_types=FORM)
def moderate_experience(code, experience_id):
    from ..web import moderation

    return moderation.moderate(deps(), bp.current_request, code, experience_id)


@bp.route("/moderation/{code}/{experience_id}/reponse", methods=["POST"], content_types=FORM)
def moderate_answer(code, experience_id):
    from ..web import moderation

    return moderation.moderate(deps(), bp.current_request, code, experience_id, answer=True)


@bp.route("/reponses", methods=["GET"])
def answers_page():
    from ..web import moderation

    return moderation.answers_page(deps(), bp.current_request)


@bp.route("/reponses/{experience_id}", methods=["GET"])
def answer_page(experience_id):
    from ..web import moderation

    return moderation.answer_page(deps(), bp.current_request, experience_id)


@bp.route("/reponses/{experience_id}", methods=["POST"], content_types=FORM)
def answer_experience(experience_id):
    from ..web import moderation

    return moderation.answer(deps(), bp.current_request, experience_id)
