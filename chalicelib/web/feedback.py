"""Agents' feedback pages: an agent reports a difficulty with a procedure or asks for a
training (/remontees); the territory's coordinators triage them (/territoire/remontees).

The agent's name appears nowhere: coordinators see the contact point only.
"""
from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from ..domain import query as query_values
from ..domain.commands import FeedbackCreate, FeedbackTriage
from ..domain.errors import Conflict, InvalidInput
from ..domain.models import (
    FEEDBACK_KIND_LABELS,
    FEEDBACK_STATUS_LABELS,
    FeedbackKind,
    FeedbackStatus,
    Role,
)
from ..domain.territories import DEPARTEMENTS
from ..services import feedback as service
from . import pages
from .agent import _chosen_point, _points
from .forms import FormErrors, text, validate
from .session import handler, require, territory_codes

LIST_LIMIT = 100
PAGE_EXPIRED = "La page a expiré. Vérifiez votre saisie puis envoyez de nouveau."
AGENT_NOTICES = {
    "difficulte": "Votre remontée est envoyée à la coordination de votre territoire.",
    "formation": "Votre demande de formation est envoyée à la coordination de votre territoire.",
}
NOTICE_CODES = {FeedbackKind.DIFFICULTY: "difficulte", FeedbackKind.TRAINING: "formation"}
# The coordinator's filters travel in the URL in French: ?code=61&statut=nouvelle&type=formation&du=…&au=…
STATUS_SLUGS = {"nouvelle": FeedbackStatus.NEW, "prise-en-compte": FeedbackStatus.ACKNOWLEDGED,
                "resolue": FeedbackStatus.SOLVED}
KIND_SLUGS = {"difficulte": FeedbackKind.DIFFICULTY, "formation": FeedbackKind.TRAINING}
FILTERS = ("code", "statut", "type", "du", "au")
TRIAGE_CHOICES = [
    (FeedbackStatus.ACKNOWLEDGED.value, FEEDBACK_STATUS_LABELS[FeedbackStatus.ACKNOWLEDGED],
     "La coordination s'en occupe."),
    (FeedbackStatus.SOLVED.value, FEEDBACK_STATUS_LABELS[FeedbackStatus.SOLVED],
     "La difficulté est levée, ou la formation est organisée."),
]
TRIAGE_STATUS_MISSING = "Choisissez « Prise en compte » ou « Résolue »."


# --- the agent ----------------------------------------------------------------------------

def _agent_page(deps, request, user, principal, *, wanted_point=None, fields=None, errors=None,
                status=200, notice=None):
    points = _points(deps, principal)
    point = _chosen_point(points, wanted_point)
    items = (service.list_point_feedback(deps, principal, point.id, LIST_LIMIT).items
             if point is not None else [])
    errors = errors or FormErrors()
    return pages.view(request, "feedback.html", user=user, current="/remontees", status=status,
                      points=points, point=point, items=items, fields=fields or {},
                      organisations=[(o.id, o.name, None) for o in service.organisations(deps)],
                      errors=errors.by_field, summary=errors.summary, notice=notice)


@handler
def agent_page(deps, request):
    principal, user = require(deps, request, Role.AGENT)
    query = request.query_params or {}
    return _agent_page(deps, request, user, principal, wanted_point=query.get("point"),
                       notice=AGENT_NOTICES.get(query.get("fait", "")))


@handler
def agent_submit(deps, request):
    """One route for both forms: the posted `kind` says which."""
    principal, user = require(deps, request, Role.AGENT)
    fields = pages.form_fields(request.raw_body)
    errors = FormErrors()

    def refused(status=400):
        return _agent_page(deps, request, user, principal, wanted_point=fields.get("point_id"),
                           fields=fields, errors=errors, status=status)

    if not pages.csrf_ok(pages.cookie_csrf(request), fields.get("csrf")):
        errors.add(None, PAGE_EXPIRED)
        return refused()
    command = validate(FeedbackCreate, {
        "kind": fields.get("kind", ""), "point_id": text(fields, "point_id"),
        **{name: text(fields, name) for name in ("organisation_id", "procedure", "problem",
                                                  "usagers_affected", "topic", "details")
           if name in fields}}, errors)
    if command is None:
        return refused()
    try:
        created = service.create_feedback(deps, principal, command)
    except InvalidInput as refusal:
        errors.add_domain(refusal)
        return refused()
    point = f"&point={created.point_id}" if len(principal.point_ids) > 1 else ""
    return pages.redirect(f"/remontees?fait={NOTICE_CODES[created.kind]}{point}#mes-remontees")


# --- the coordinator ------------------------------------------------------------------------

def _day(filters: dict[str, str], name: str, errors: FormErrors) -> date | None:
    try:
        return query_values.day(filters.get(name))
    except ValueError as refused:
        errors.add(name, str(refused))
        return None


def _filters_from(query: dict[str, str] | None) -> dict[str, str]:
    return {name: str(query[name]) for name in FILTERS if query and query.get(name)}


def _territory_page(deps, request, user, principal, filters: dict[str, str], *, errors=None,
                    status=200, notice=None, triage_id=None, fields=None):
    codes = territory_codes(deps, principal)
    code = (filters.get("code") or (codes[0] if codes else "")).upper()
    errors = errors or FormErrors()
    filter_errors = FormErrors()
    since, until = _day(filters, "du", filter_errors), _day(filters, "au", filter_errors)
    if since and until and until < since:
        filter_errors.add("au", "La date de fin précède la date de début.")
        since = until = None
    items = []
    cursor = None
    if code:
        page = service.list_territory_feedback(
            deps, principal, code, status=STATUS_SLUGS.get(filters.get("statut", "")),
            kind=KIND_SLUGS.get(filters.get("type", "")), since=since, until=until,
            limit=LIST_LIMIT, cursor=filters.get("suite"))
        items, cursor = page.items, page.cursor
    errors.summary.extend(filter_errors.summary)
    kept = {name: value for name, value in filters.items() if name in FILTERS and name != "code"}
    return pages.view(
        request, "territory_feedback.html", user=user, current="/territoire/remontees",
        status=400 if filter_errors and status == 200 else status, codes=codes, code=code,
        territory_name=DEPARTEMENTS.get(code, code),
        filters=filters, query=urlencode({"code": code, **kept}), items=items, cursor=cursor,
        status_filters=[("", "Toutes")] + [(slug, FEEDBACK_STATUS_LABELS[s]) for slug, s in STATUS_SLUGS.items()],
        kind_filters=[("", "Tous")] + [(slug, FEEDBACK_KIND_LABELS[k]) for slug, k in KIND_SLUGS.items()],
        can_triage=principal.role is Role.COORDINATOR, triage_choices=TRIAGE_CHOICES,
        triage_id=triage_id, fields=fields or {}, errors=errors.by_field, summary=errors.summary,
        notice=notice)


@handler
def territory_page(deps, request):
    principal, user = require(deps, request, Role.COORDINATOR, Role.ADMIN)
    query = request.query_params or {}
    filters = {**_filters_from(query), **({"suite": query["suite"]} if query.get("suite") else {})}
    notice = "La remontée est mise à jour." if query.get("fait") == "traitee" else None
    return _territory_page(deps, request, user, principal, filters, notice=notice)


@handler
def triage(deps, request, code: str, feedback_id: str):
    principal, user = require(deps, request, Role.COORDINATOR)
    fields = pages.form_fields(request.raw_body)
    # The list's filters come back in a hidden field, so the coordinator stays where they were.
    filters = _filters_from(query_values.embedded_query(fields.get("filtres"), max_fields=10))
    filters["code"] = code
    errors = FormErrors()

    def refused(status=400):
        for error in errors.summary:   # each item has its own form: its fields carry its id
            if error["field"] in ("status", "answer"):
                error["field"] = f"{error['field']}-{feedback_id}"
        return _territory_page(deps, request, user, principal, filters, errors=errors, status=status,
                               triage_id=feedback_id, fields=fields)

    if not pages.csrf_ok(pages.cookie_csrf(request), fields.get("csrf")):
        errors.add(None, PAGE_EXPIRED)
        return refused()
    status = fields.get("status", "")
    if status not in {value for value, _, _ in TRIAGE_CHOICES}:
        errors.add("status", TRIAGE_STATUS_MISSING)
        status = FeedbackStatus.SOLVED.value    # only to check the answer as well
    command = validate(FeedbackTriage, {"status": status, "answer": text(fields, "answer")}, errors)
    if errors or command is None:
        return refused()
    try:
        service.triage_feedback(deps, principal, code, feedback_id, command)
    except Conflict as refusal:
        errors.add_domain(refusal)
        return refused(409)
    return pages.redirect(f"/territoire/remontees?{urlencode({**filters, 'fait': 'traitee'})}"
                          f"#remontee-{feedback_id}")
