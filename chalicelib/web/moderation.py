"""The staff's pages of Services Publics+ experiences: the territory's coordination moderates
the experiences and their answers (/moderation/<code>); responder teams, and the coordination
for what no team answers, write the answers (/reponses).

A moderator never sees a usager's address or phone: only that a personal reply is wished.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from ..domain import experiences as rules
from ..domain.authz import EXPERIENCE_NOT_FOUND
from ..domain.commands import ExperienceAnswer, ExperienceModeration
from ..domain.errors import Conflict, InvalidInput, NotFound
from ..domain.models import (
    CHANNEL_LABELS,
    LIFE_SITUATION_LABELS,
    REFUSAL_LABELS,
    RESPONDER_LEVEL_LABELS,
    SENTIMENT_LABELS,
    Experience,
    ModerationStatus,
    Role,
)
from ..domain.scrub import LABELS as REMOVED_LABELS
from ..domain.territories import DEPARTEMENTS
from ..services import experiences as service
from . import pages
from .forms import FormErrors, text, validate
from .session import PageExit, handler, require

PAGE_LIMIT = 20
MODERATORS = (Role.COORDINATOR, Role.MODERATOR)
ANSWERERS = (Role.RESPONDER, Role.COORDINATOR, Role.MODERATOR)
PAGE_EXPIRED = "La page a expiré. Vérifiez votre choix puis envoyez de nouveau."
DECISION_MISSING = "Choisissez « Publier » ou « Refuser »."
REASON_MISSING = "Choisissez le motif du refus."
ANSWER_MISSING = "Écrivez votre réponse."
NO_TERRITORY = "Vous n'êtes rattaché à aucun territoire. Demandez à l'administrateur de Relais."
REFUSAL_CHOICES = [(reason.value, label, None) for reason, label in REFUSAL_LABELS.items()]
# ?vue= of the moderation page: the experiences waiting, or the answers waiting.
VIEWS = {"experiences": False, "reponses": True}
MODERATION_NOTICES = {
    "publiee": "L'expérience est publiée ; elle est transmise à l'équipe qui doit y répondre.",
    "refusee": "L'expérience est refusée : elle ne sera pas publiée.",
    "reponse-publiee": "La réponse est publiée à côté de l'expérience.",
    "reponse-refusee": "La réponse est refusée : l'équipe est invitée à répondre de nouveau.",
}
ANSWER_NOTICE = "Votre réponse est enregistrée : elle est en attente de modération avant d'être publiée."


@dataclass(frozen=True)
class Card:
    """An experience as the staff's pages show it: labels, never a contact detail."""

    experience: Experience
    organisation: str
    channel: str
    situation: str
    sentiment: str
    removed: list[str]
    contact_wished: bool
    late: bool
    refusal: str | None
    answer_refusal: str | None
    level: str | None

    @property
    def id(self) -> str:
        return self.experience.id


def _cards(deps, experiences: list[Experience], now: datetime) -> list[Card]:
    names = {o.id: o.name for o in service.organisations(deps)} if experiences else {}
    return [Card(
        experience=e,
        organisation=names.get(e.organisation_id or "", "Organisme non précisé"),
        channel=CHANNEL_LABELS[e.channel],
        situation=LIFE_SITUATION_LABELS[e.situation],
        sentiment=SENTIMENT_LABELS[e.sentiment] if e.sentiment else "Non précisé",
        removed=[REMOVED_LABELS.get(kind, kind) for kind in e.removed],
        contact_wished=bool(e.contact_email or e.contact_phone),
        late=rules.is_late(e, now),
        refusal=REFUSAL_LABELS[e.refusal] if e.refusal else None,
        answer_refusal=REFUSAL_LABELS[e.answer_refusal] if e.answer_refusal else None,
        level=RESPONDER_LEVEL_LABELS[e.level] if e.level else None,
    ) for e in experiences]


def _own_territory(deps, request, user, principal, code: str) -> str:
    """The territory of the address, if it is one of the user's; else a page that says so."""
    code = (code or "").upper()
    if code not in principal.territory_codes:
        raise PageExit(pages.view(request, "forbidden.html", user=user, status=403))
    return code


# --- moderation -----------------------------------------------------------------------------

@handler
def moderation_home(deps, request):
    """/moderation: the first of one's territories (the landing page of moderators)."""
    principal, _ = require(deps, request, *MODERATORS)
    codes = sorted(principal.territory_codes)
    if not codes:
        raise NotFound(NO_TERRITORY)
    return pages.redirect(f"/moderation/{codes[0]}")


def _moderation_page(deps, request, user, principal, code: str, *, answers: bool, cursor=None,
                     errors=None, status=200, notice=None, acted_id=None, fields=None):
    page = service.moderation_queue(deps, principal, code, answers=answers, limit=PAGE_LIMIT, cursor=cursor)
    errors = errors or FormErrors()
    view = "reponses" if answers else "experiences"
    return pages.view(
        request, "moderation.html", user=user, current="/moderation", status=status, code=code,
        codes=sorted(principal.territory_codes), territory_name=DEPARTEMENTS.get(code, code),
        answers=answers, view=view, cards=_cards(deps, page.items, deps.now()), cursor=page.cursor,
        first_page=cursor is None, refusal_choices=REFUSAL_CHOICES, acted_id=acted_id,
        fields=fields or {}, errors=errors.by_field, summary=errors.summary, notice=notice)


@handler
def moderation_page(deps, request, code: str):
    principal, user = require(deps, request, *MODERATORS)
    code = _own_territory(deps, request, user, principal, code)
    query = request.query_params or {}
    answers = VIEWS.get(query.get("vue", ""), False)
    return _moderation_page(deps, request, user, principal, code, answers=answers, cursor=query.get("suite"),
                            notice=MODERATION_NOTICES.get(query.get("fait", "")))


def _moderation_command(fields: dict[str, str], errors: FormErrors) -> ExperienceModeration | None:
    """« Publier », « Publier avec ce texte modifié » (the textarea) or « Refuser » (a reason)."""
    decision = fields.get("decision", "")
    if decision not in ("publish", "publish_edited", "refuse"):
        errors.add("decision", DECISION_MISSING)
        return None
    refused = decision == "refuse"
    command = validate(ExperienceModeration, {
        "decision": "refuse" if refused else "publish",
        "text": fields.get("text", "") if decision == "publish_edited" else None,
        "reason": (fields.get("reason") or None) if refused else None}, errors)
    for error in errors.summary:
        if error["field"] == "reason":
            error["message"] = REASON_MISSING
    return command


@handler
def moderate(deps, request, code: str, experience_id: str, *, answer: bool = False):
    principal, user = require(deps, request, *MODERATORS)
    code = _own_territory(deps, request, user, principal, code)
    fields = pages.form_fields(request.raw_body)
    errors = FormErrors()

    def refused(status=400):
        for error in errors.summary:   # each item has its own forms: their fields carry its id
            if error["field"] in ("decision", "text", "reason"):
                error["field"] = f"{error['field']}-{experience_id}"
        return _moderation_page(deps, request, user, principal, code, answers=answer, errors=errors,
                                status=status, acted_id=experience_id, fields=fields)

    if not pages.csrf_ok(pages.cookie_csrf(request), fields.get("csrf")):
        errors.add(None, PAGE_EXPIRED)
        return refused()
    command = _moderation_command(fields, errors)
    if command is None or errors:
        return refused()
    if service.get_for_staff(deps, principal, experience_id).territory_code != code:
        raise NotFound(EXPERIENCE_NOT_FOUND)
    try:
        if answer:
            service.moderate_answer(deps, principal, experience_id, command)
        else:
            service.moderate(deps, principal, experience_id, command)
    except Conflict as refusal:
        errors.add_domain(refusal)
        return refused(409)
    except InvalidInput as refusal:
        errors.add_domain(refusal)
        return refused()
    done = ("reponse-" if answer else "") + ("refusee" if command.decision == "refuse" else "publiee")
    query = {"vue": "reponses"} if answer else {}
    return pages.redirect(f"/moderation/{code}?{urlencode({**query, 'fait': done})}#file")


# --- answers --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Inbox:
    """Whose experiences the answers page lists: a team's, or a territory's coordination's."""

    team_id: str | None
    territory_code: str
    query: dict[str, str]


def _inboxes(deps, request, user, principal) -> tuple[list[tuple[Inbox, str]], Inbox | None]:
    """The inboxes the user answers for (each with its label), and the one asked for."""
    query = request.query_params or {}
    if principal.role is Role.RESPONDER:
        teams = service.teams(deps, principal.group_ids)
        inboxes = [(Inbox(t.id, t.area, {"equipe": t.id}), t.name)
                   for t in sorted(teams.values(), key=lambda t: t.name.casefold())]
        wanted = query.get("equipe")
    else:
        inboxes = [(Inbox(None, c, {"territoire": c}), f"Coordination {DEPARTEMENTS.get(c, c)} ({c})")
                   for c in sorted(principal.territory_codes)]
        wanted = (query.get("territoire") or "").upper() or None
        if wanted and wanted not in principal.territory_codes:
            raise PageExit(pages.view(request, "forbidden.html", user=user, status=403))
    if wanted is None:
        return inboxes, inboxes[0][0] if inboxes else None
    chosen = next((inbox for inbox, _ in inboxes if wanted in (inbox.team_id, inbox.territory_code)), None)
    if chosen is None:
        raise NotFound("Cette équipe n'est pas la vôtre.")
    return inboxes, chosen


@handler
def answers_page(deps, request):
    principal, user = require(deps, request, *ANSWERERS)
    inboxes, inbox = _inboxes(deps, request, user, principal)
    query = request.query_params or {}
    open_cards: list[Card] = []
    done_cards: list[Card] = []
    cursor = None
    if inbox is not None:
        now = deps.now()
        waiting = service.team_inbox(deps, principal, inbox.team_id, inbox.territory_code,
                                     limit=PAGE_LIMIT, cursor=query.get("suite"))
        answered = service.team_inbox(deps, principal, inbox.team_id, inbox.territory_code,
                                      answered=True, limit=PAGE_LIMIT)
        open_cards, done_cards = _cards(deps, waiting.items, now), _cards(deps, answered.items, now)
        cursor = waiting.cursor
    return pages.view(
        request, "responses.html", user=user, current="/reponses", inboxes=inboxes, inbox=inbox,
        inbox_query=urlencode(inbox.query) if inbox else "", open_cards=open_cards,
        done_cards=done_cards, cursor=cursor, first_page=not query.get("suite"),
        notice=ANSWER_NOTICE if query.get("fait") == "repondue" else None)


def _inbox_query(experience: Experience) -> dict[str, str]:
    return {"equipe": experience.team_id} if experience.team_id else {"territoire": experience.territory_code}


def _answer_page(deps, request, user, principal, experience_id: str, *, errors=None, status=200, fields=None):
    experience = service.get_for_staff(deps, principal, experience_id)
    if experience.status is not ModerationStatus.PUBLISHED:
        raise NotFound(EXPERIENCE_NOT_FOUND)
    # The team answers; without a team, the coordination does. A coordinator reads a team's.
    answerer = (principal.role is Role.RESPONDER) == (experience.team_id is not None)
    can_answer = answerer and experience.answer_status in (None, ModerationStatus.REFUSED)
    errors = errors or FormErrors()
    (card,) = _cards(deps, [experience], deps.now())
    team = service.teams(deps, [experience.team_id]).get(experience.team_id) if experience.team_id else None
    return pages.view(
        request, "response.html", user=user, current="/reponses", status=status, card=card,
        team_name=team.name if team else f"Coordination {DEPARTEMENTS.get(experience.territory_code, '')}",
        back=f"/reponses?{urlencode(_inbox_query(experience))}", can_answer=can_answer,
        fields=fields or {}, errors=errors.by_field, summary=errors.summary)


@handler
def answer_page(deps, request, experience_id: str):
    principal, user = require(deps, request, *ANSWERERS)
    return _answer_page(deps, request, user, principal, experience_id)


@handler
def answer(deps, request, experience_id: str):
    principal, user = require(deps, request, *ANSWERERS)
    fields = pages.form_fields(request.raw_body)
    errors = FormErrors()

    def refused(status=400):
        return _answer_page(deps, request, user, principal, experience_id, errors=errors, status=status,
                            fields=fields)

    if not pages.csrf_ok(pages.cookie_csrf(request), fields.get("csrf")):
        errors.add(None, PAGE_EXPIRED)
        return refused()
    if not text(fields, "text"):
        errors.add("text", ANSWER_MISSING)
        return refused()
    command = validate(ExperienceAnswer, {"text": (fields.get("text") or "").strip()}, errors)
    if command is None:
        return refused()
    try:
        experience = service.answer(deps, principal, experience_id, command.text)
    except Conflict as refusal:
        errors.add_domain(refusal)
        return refused(409)
    return pages.redirect(f"/reponses?{urlencode({**_inbox_query(experience), 'fait': 'repondue'})}")
