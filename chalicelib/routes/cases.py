"""The JSON API of cases: opening, escalating, the thread, closing; the e-mails set aside; the
referents' queue."""
from __future__ import annotations

from chalice import Blueprint

from .. import views
from ..bootstrap import deps
from ..domain import commands
from . import common

bp = Blueprint(__name__)
api = common.api.on(bp)


@api.route("/api/cases", "POST", summary="Créer un dossier", body=commands.CaseCreate,
           response=views.CaseView, status=201)
def create_case(principal, body):
    from ..services import cases

    return cases.create_case(deps(), principal, body)


@api.route("/api/cases", "GET", summary="Les dossiers de mon point de contact",
           query=commands.CaseListQuery, response=views.PageView[views.CaseSummary])
def list_cases(principal, query):
    from ..services import cases

    return cases.list_cases(deps(), principal, query.point_id, query.status, query.limit, query.cursor)


@api.route("/api/cases/{ref}", "GET", summary="Un dossier et son fil", response=views.CaseView)
def get_case(ref, principal):
    from ..services import cases

    return cases.get_case(deps(), principal, ref)


@api.route("/api/cases/{ref}/escalations", "POST", summary="Saisir un ou plusieurs partenaires",
           body=commands.EscalationCreate, response=views.CaseView, status=201)
def escalate(ref, principal, body):
    from ..services import cases

    return cases.escalate(deps(), principal, ref, body)


@api.route("/api/cases/{ref}/messages", "POST", summary="Écrire dans le fil ou répondre",
           body=commands.MessageCreate, response=views.CaseView, status=201)
def post_message(ref, principal, body):
    """One route for both sides of the thread: the referent's reply, or the agent's message."""
    from ..domain.models import Role
    from ..services import cases

    post = cases.post_referent_reply if principal.role is Role.REFERENT else cases.post_agent_message
    return post(deps(), principal, ref, body)


@api.route("/api/cases/{ref}/close", "POST", summary="Clore un dossier",
           body=commands.CaseClose, response=views.CaseView)
def close_case(ref, principal, body):
    from ..services import cases

    return cases.close_case(deps(), principal, ref, body)


@api.route("/api/cases/{ref}/reopen", "POST", summary="Rouvrir un dossier", response=views.CaseView)
def reopen_case(ref, principal):
    from ..services import cases

    return cases.reopen_case(deps(), principal, ref)


@api.route("/api/cases/{ref}/messages/{message_id}/source", "GET",
           summary="Lire l'e-mail d'origine d'un message", response=views.MessageSourceView)
def read_message_source(ref, message_id, principal):
    from ..services import message_source

    return message_source.read(deps(), principal, ref, message_id)


@api.route("/api/cases/{ref}/quarantine", "GET", summary="Les e-mails mis de côté d'un dossier",
           response=list[views.QuarantinedEmailView])
def list_quarantined(ref, principal):
    from ..services import quarantine

    return quarantine.list_quarantined(deps(), principal, ref)


@api.route("/api/cases/{ref}/quarantine/{quarantine_id}", "GET", summary="Lire un e-mail mis de côté",
           response=views.QuarantinedEmailDetail)
def read_quarantined(ref, quarantine_id, principal):
    from ..services import quarantine

    return quarantine.read(deps(), principal, ref, quarantine_id)


@api.route("/api/cases/{ref}/quarantine/{quarantine_id}/release", "POST",
           summary="Ajouter aux échanges un e-mail mis de côté", response=views.CaseView)
def release_quarantined(ref, quarantine_id, principal):
    from ..services import quarantine

    return quarantine.release(deps(), principal, ref, quarantine_id)


@api.route("/api/cases/{ref}/quarantine/{quarantine_id}/discard", "POST",
           summary="Écarter un e-mail mis de côté", response=views.CaseView)
def discard_quarantined(ref, quarantine_id, principal):
    from ..services import quarantine

    return quarantine.discard(deps(), principal, ref, quarantine_id)


@api.route("/api/escalations", "GET", summary="La file de mon groupe de référents",
           query=commands.QueueQuery, response=views.PageView[views.EscalationView])
def referent_queue(principal, query):
    from ..services import cases

    return cases.referent_queue(deps(), principal, query.group_id, query.status, query.limit,
                                query.cursor)
