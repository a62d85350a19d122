"""Services Publics+ experiences, the public pages: the published experiences and their
answers (/experiences, filtered, 20 a page), one of them (/experiences/{id}), the form anyone
posts one with, no account needed (/experiences/nouvelle), and the same form for an agent who
writes down a usager's experience at the desk (/experiences/guichet).

Pages only ever hold `views.ExperienceView`: never contact details, an author or a person's
name. The form is guarded by a honeypot field, a size limit on the body and the service's
hourly limit per address.
"""
from __future__ import annotations

from urllib.parse import urlencode

from aws_lambda_powertools import Logger

from ..domain.commands import EXPERIENCE_TEXT_MAX, ExperiencePost
from ..domain.errors import InvalidInput, TooManyRequests
from ..domain.models import (
    CHANNEL_LABELS,
    LIFE_SITUATION_LABELS,
    RESPONDER_LEVEL_LABELS,
    SENTIMENT_LABELS,
    ExperienceChannel,
    LifeSituation,
    ResponderLevel,
    Role,
    Sentiment,
)
from ..domain.scrub import LABELS
from ..domain.territories import DEPARTEMENTS
from ..services import experiences as service
from ..views import ExperienceView
from . import pages
from .agent import _chosen_point, _points
from .forms import FormErrors, text, validate
from .session import current, handler, require

logger = Logger(service="relais", child=True)

PAGE_SIZE = 20
PAGE_EXPIRED = "La page a expiré. Vérifiez votre saisie puis envoyez de nouveau."
PUBLIC_FORM, DESK_FORM = "/experiences/nouvelle", "/experiences/guichet"
# The form's fields in their order on the page (the error summary follows it).
FORM_FIELDS = ("point_id", "territory_code", "organisation_id", "procedure", "situation", "sentiment",
               "text", "contact_email", "contact_phone")
HONEYPOT = "site_internet"
# A form of ours sends at most 3 000 characters of text, each at most 12 bytes once encoded
# (a 4-byte character, percent-encoded), and short fields: beyond, nobody typed it.
MAX_BODY_BYTES = 48 * 1024
TEXT_MIN = 20
MESSAGES = {
    "territory_code": "Choisissez le département dans la liste.",
    "situation": "Choisissez la situation de vie qui correspond le mieux.",
    "sentiment": "Dites si l'expérience est positive ou négative.",
    "text_short": f"Racontez ce qui s'est passé en {TEXT_MIN} caractères au moins.",
    "text_long": "Le récit dépasse 3 000 caractères : raccourcissez-le.",
    "too_large": "L'envoi est trop long : le récit compte 3 000 caractères au plus. Raccourcissez-le "
                 "puis envoyez de nouveau.",
}
# The list's filters, in the address in French: ?territoire=61&organisme=caf&demarche=…&situation=…&ressenti=…
FILTERS = ("territoire", "organisme", "demarche", "situation", "ressenti")
FILTER_MESSAGES = {
    "territoire": "Ce département n'existe pas : choisissez-en un dans la liste.",
    "organisme": "Cet organisme n'est pas dans la liste.",
    "demarche": "La démarche s'écrit en 200 caractères au plus.",
    "situation": "Cette situation de vie n'est pas dans la liste.",
    "ressenti": "Choisissez « Positives » ou « Négatives ».",
}
MAX_CURSOR = 2000


# --- what a page shows of an experience ----------------------------------------------------

def _answer_from(view: ExperienceView, organisation_names: dict[str, str]) -> str:
    """Who answers, as an organisation and a level: never a person."""
    if view.level and view.organisation_id in organisation_names:
        level = RESPONDER_LEVEL_LABELS[ResponderLevel(view.level)]
        return f"Réponse de {organisation_names[view.organisation_id]} (niveau {level})"
    territory = DEPARTEMENTS.get(view.territory_code, view.territory_code)
    return f"Réponse de la coordination Services Publics+ ({territory})"


def shown(view: ExperienceView, organisation_names: dict[str, str]) -> dict:
    """The public view and its words; built from ExperienceView only (no contact in it)."""
    return {
        "view": view,
        "territory": f"{DEPARTEMENTS.get(view.territory_code, view.territory_code)} ({view.territory_code})",
        "organisation": organisation_names.get(view.organisation_id or ""),
        "situation": LIFE_SITUATION_LABELS[LifeSituation(view.situation)],
        "sentiment": SENTIMENT_LABELS[Sentiment(view.sentiment)] if view.sentiment else None,
        "channel": CHANNEL_LABELS[ExperienceChannel(view.channel)],
        "answer_from": _answer_from(view, organisation_names) if view.answer else None,
    }


def _organisation_choices(deps) -> tuple[list[tuple[str, str, None]], dict[str, str]]:
    found = service.organisations(deps)
    return [(o.id, o.name, None) for o in found], {o.id: o.name for o in found}


def _territory_choices() -> list[tuple[str, str, None]]:
    return [(code, f"{code} – {name}", None) for code, name in DEPARTEMENTS.items()]


def _situation_choices() -> list[tuple[str, str, None]]:
    return [(s.value, label, None) for s, label in LIFE_SITUATION_LABELS.items()]


SENTIMENT_CHOICES = [(Sentiment.POSITIVE.value, "Positive", "Ça s'est bien passé."),
                     (Sentiment.NEGATIVE.value, "Négative", "Ça s'est mal passé.")]
SENTIMENT_FILTERS = [(Sentiment.POSITIVE.value, "Positives", None),
                     (Sentiment.NEGATIVE.value, "Négatives", None)]


# --- the list -------------------------------------------------------------------------------

def _filters(query: dict[str, str], organisation_names: dict[str, str],
             errors: FormErrors) -> service.Filters:
    """The filters asked for; each value no page of ours offers is an error on its field."""
    wanted = {name: (query.get(name) or "").strip() for name in FILTERS}
    territory = wanted["territoire"].upper()
    if territory and territory not in DEPARTEMENTS:
        errors.add("territoire", FILTER_MESSAGES["territoire"])
    if wanted["organisme"] and wanted["organisme"] not in organisation_names:
        errors.add("organisme", FILTER_MESSAGES["organisme"])
    procedure = wanted["demarche"]
    if len(procedure) > 200 or any(ord(ch) < 32 for ch in procedure):
        errors.add("demarche", FILTER_MESSAGES["demarche"])
    if wanted["situation"] and wanted["situation"] not in {s.value for s in LifeSituation}:
        errors.add("situation", FILTER_MESSAGES["situation"])
    if wanted["ressenti"] and wanted["ressenti"] not in {s.value for s in Sentiment}:
        errors.add("ressenti", FILTER_MESSAGES["ressenti"])
    return service.Filters(territory_code=territory or None, organisation_id=wanted["organisme"] or None,
                           procedure=procedure or None, situation=wanted["situation"] or None,
                           sentiment=wanted["ressenti"] or None)


@handler
def public_list(deps, request):
    query = request.query_params or {}
    signed = current(deps, request)
    organisations, organisation_names = _organisation_choices(deps)
    errors = FormErrors()
    filters = _filters(query, organisation_names, errors)
    cursor = query.get("suite") or None
    if cursor and len(cursor) > MAX_CURSOR:
        raise InvalidInput("L'adresse de la page suivante n'est pas valable.", field="suite")
    items, next_cursor = [], None
    if not errors:
        page = service.published(deps, filters, limit=PAGE_SIZE, cursor=cursor)
        items = [shown(ExperienceView.of(e), organisation_names) for e in page.items]
        next_cursor = page.cursor
    kept = {name: (query.get(name) or "").strip() for name in FILTERS}
    kept = {name: value for name, value in kept.items() if value}
    return pages.view(
        request, "experiences.html", user=signed[1] if signed else None, status=400 if errors else 200,
        items=items, filters=kept, filtered=bool(kept), first_page=not cursor,
        next_href=f"/experiences?{urlencode({**kept, 'suite': next_cursor})}" if next_cursor else None,
        first_href=f"/experiences?{urlencode(kept)}" if kept else "/experiences",
        territories=_territory_choices(), organisations=organisations, situations=_situation_choices(),
        sentiments=SENTIMENT_FILTERS, errors=errors.by_field, summary=errors.in_order(FILTERS))


@handler
def public_detail(deps, request, experience_id: str):
    experience = service.get_published(deps, experience_id)
    signed = current(deps, request)
    _, organisation_names = _organisation_choices(deps)
    return pages.view(request, "experiences_detail.html", user=signed[1] if signed else None,
                      item=shown(ExperienceView.of(experience), organisation_names))


# --- the form -------------------------------------------------------------------------------

def _form_page(deps, request, *, user=None, desk=False, points=(), point=None, fields=None,
               errors=None, status=200):
    organisations, _ = _organisation_choices(deps)
    errors = errors or FormErrors()
    return pages.view(request, "experiences_form.html", user=user, status=status,
                      current=DESK_FORM if desk else None, desk=desk, action=DESK_FORM if desk else PUBLIC_FORM,
                      points=points, point=point, point_choices=[(p.id, p.name, None) for p in points],
                      fields=fields or {}, organisations=organisations,
                      territories=_territory_choices(), situations=_situation_choices(),
                      sentiments=SENTIMENT_CHOICES, honeypot=HONEYPOT, text_max=EXPERIENCE_TEXT_MAX,
                      errors=errors.by_field, summary=errors.in_order(FORM_FIELDS))


def _sent_page(request, query, *, user=None, desk=False):
    """The confirmation, after the redirect: what was taken out travels as kinds (no data)."""
    kinds = [kind for kind in dict.fromkeys((query.get("retire") or "").split(",")) if kind in LABELS]
    return pages.view(request, "experiences_sent.html", user=user, desk=desk,
                      current=DESK_FORM if desk else None,
                      removed=[LABELS[kind] for kind in kinds],
                      again=DESK_FORM if desk else PUBLIC_FORM)


def _sent_location(path: str, removed: list[str]) -> str:
    query = {"fait": "envoyee", **({"retire": ",".join(removed)} if removed else {})}
    return f"{path}?{urlencode(query)}"


def _command(fields: dict[str, str], errors: FormErrors, point_id: str | None = None) -> ExperiencePost | None:
    """The posted form as a command; the page's own French words for what is missing."""
    found = FormErrors()
    command = validate(ExperiencePost, {
        "territory_code": fields.get("territory_code", ""), "organisation_id": text(fields, "organisation_id"),
        "procedure": text(fields, "procedure"), "situation": fields.get("situation", ""),
        "sentiment": fields.get("sentiment", ""), "text": text(fields, "text") or "",
        "contact_email": text(fields, "contact_email"), "contact_phone": text(fields, "contact_phone"),
        "point_id": point_id}, found)
    story = (text(fields, "text") or "").replace("\r\n", "\n")
    for error in found.summary:
        name = error["field"]
        if name in ("territory_code", "situation", "sentiment"):
            errors.add(name, MESSAGES[name])
        elif name == "text" and len(story) < TEXT_MIN:
            errors.add(name, MESSAGES["text_short"])
        elif name == "text" and len(story) > EXPERIENCE_TEXT_MAX:
            errors.add(name, MESSAGES["text_long"])
        else:
            errors.add(name, str(error["message"]))
    return command


def _too_large(request) -> bool:
    return len(request.raw_body or b"") > MAX_BODY_BYTES


def _shortened(fields: dict[str, str]) -> dict[str, str]:
    """What was typed, given back to the page, within the form's own limits."""
    return {name: value[:EXPERIENCE_TEXT_MAX] for name, value in fields.items() if name in FORM_FIELDS}


@handler
def public_form(deps, request):
    query = request.query_params or {}
    signed = current(deps, request)
    user = signed[1] if signed else None
    if query.get("fait") == "envoyee":
        return _sent_page(request, query, user=user)
    return _form_page(deps, request, user=user)


@handler
def public_submit(deps, request, client_address: str):
    signed = current(deps, request)
    user = signed[1] if signed else None
    fields = pages.form_fields(request.raw_body)
    errors = FormErrors()

    def refused(status=400):
        return _form_page(deps, request, user=user, fields=_shortened(fields), errors=errors, status=status)

    if _too_large(request):
        errors.add("text", MESSAGES["too_large"])
        return refused(413)
    if not pages.csrf_ok(pages.cookie_csrf(request), fields.get("csrf")):
        errors.add(None, PAGE_EXPIRED)
        return refused()
    if fields.get(HONEYPOT):
        # A robot filled the field humans never see: it is told it worked, nothing is written.
        logger.warning("experience form honeypot filled")
        return pages.redirect(_sent_location(PUBLIC_FORM, []))
    command = _command(fields, errors)
    if command is None or errors:
        return refused()
    try:
        experience = service.post_public(deps, command, client_address=client_address)
    except TooManyRequests as refusal:
        errors.add(None, refusal.message)
        return refused(429)
    except InvalidInput as refusal:
        errors.add_domain(refusal)
        return refused()
    return pages.redirect(_sent_location(PUBLIC_FORM, experience.removed))


# --- at the desk ----------------------------------------------------------------------------

@handler
def desk_form(deps, request):
    principal, user = require(deps, request, Role.AGENT)
    query = request.query_params or {}
    if query.get("fait") == "envoyee":
        return _sent_page(request, query, user=user, desk=True)
    points = _points(deps, principal)
    return _form_page(deps, request, user=user, desk=True, points=points,
                      point=_chosen_point(points, query.get("point")))


@handler
def desk_submit(deps, request):
    principal, user = require(deps, request, Role.AGENT)
    fields = pages.form_fields(request.raw_body)
    points = _points(deps, principal)
    errors = FormErrors()

    def refused(status=400):
        return _form_page(deps, request, user=user, desk=True, points=points,
                          point=_chosen_point(points, fields.get("point_id")), fields=_shortened(fields),
                          errors=errors, status=status)

    if _too_large(request):
        errors.add("text", MESSAGES["too_large"])
        return refused(413)
    if not pages.csrf_ok(pages.cookie_csrf(request), fields.get("csrf")):
        errors.add(None, PAGE_EXPIRED)
        return refused()
    command = _command(fields, errors, point_id=text(fields, "point_id"))
    if command is None or errors:
        return refused()
    try:
        experience = service.post_at_desk(deps, principal, command)
    except InvalidInput as refusal:
        errors.add_domain(refusal)
        return refused()
    return pages.redirect(_sent_location(DESK_FORM, experience.removed))
