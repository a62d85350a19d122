"""Agents' feedback (remontées) and training requests: the pages, then the JSON API."""
from __future__ import annotations

from chalice import Blueprint

from .. import views
from ..bootstrap import deps
from ..domain import commands
from . import common
from .common import FORM

bp = Blueprint(__name__)
api = common.api.on(bp)


@bp.route("/remontees", methods=["GET"])
def feedback_page():
    from ..web import feedback as feedback_pages

    return feedback_pages.agent_page(deps(), bp.current_request)


@bp.route("/remontees", methods=["POST"], content_types=FORM)
def feedback_submit():
    from ..web import feedback as feedback_pages

    return feedback_pages.agent_submit(deps(), bp.current_request)


@bp.route("/territoire/remontees", methods=["GET"])
def territory_feedback_page():
    from ..web import feedback as feedback_pages

    return feedback_pages.territory_page(deps(), bp.current_request)


@bp.route("/territoire/remontees/{code}/{feedback_id}", methods=["POST"], content_types=FORM)
def territory_feedback_triage(code, feedback_id):
    from ..web import feedback as feedback_pages

    return feedback_pages.triage(deps(), bp.current_request, code, feedback_id)


@api.route("/api/feedback", "POST", summary="Signaler une difficulté ou demander une formation",
           body=commands.FeedbackCreate, response=views.FeedbackView, status=201)
def create_feedback(principal, body):
    from ..services import feedback

    return feedback.create_feedback(deps(), principal, body)


@api.route("/api/feedback", "GET", summary="Les remontées de mon point de contact",
           query=commands.FeedbackListQuery, response=views.PageView[views.FeedbackView])
def list_feedback(principal, query):
    from ..services import feedback

    return feedback.list_point_feedback(deps(), principal, query.point_id, query.limit, query.cursor)


@api.route("/api/feedback/{territory}", "GET", summary="Les remontées d'un territoire",
           query=commands.TerritoryFeedbackQuery, response=views.PageView[views.FeedbackView])
def territory_feedback(territory, principal, query):
    from ..services import feedback

    return feedback.list_territory_feedback(deps(), principal, territory, status=query.status,
                                            kind=query.kind, since=query.since, until=query.until,
                                            limit=query.limit, cursor=query.cursor)


@api.route("/api/feedback/{territory}/{feedback_id}/triage", "POST", summary="Traiter une remontée",
           body=commands.FeedbackTriage, response=views.FeedbackView)
def triage_feedback(territory, feedback_id, principal, body):
    from ..services import feedback

    return feedback.triage_feedback(deps(), principal, territory, feedback_id, body)
