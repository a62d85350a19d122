"""The case page: the thread, the escalations with their due dates, and what each role may do.

- The referent (the link in every email) answers with the three choices of an email reply:
  answer, needs information, not the right recipient.
- The agent writes in the thread (a note, or a message to one partner), escalates to more
  partners, attaches the usager's documents, closes with the outcome, and reopens.

Server-rendered, no script needed; every form carries the double-submit CSRF token, and a
refused form comes back with its errors and what was typed.
"""
from __future__ import annotations

from urllib.parse import quote

from ..domain import situations
from ..domain.commands import (
    CaseClose,
    EscalationAcknowledge,
    EscalationCreate,
    EscalationForward,
    MessageCreate,
    PhoneSurvey,
)
from ..domain.errors import Conflict, DomainError, NotAllowed, NotAuthenticated, NotFound
from ..domain.models import CaseStatus, MessageKind, Outcome, Role
from ..services import cases, directory, opinions
from . import attachments as attachment_pages
from . import pages
from .agent import IDENTIFIER_FIELDS
from .forms import FormErrors, text, validate, yes_no
from .session import current, handler

KIND_CHOICES = [
    (MessageKind.ANSWER, "Je réponds", "Votre réponse est transmise à l'agent, qui recontacte l'usager."),
    (MessageKind.NEEDS_INFO, "Il me manque des informations",
     "Précisez lesquelles : le délai est suspendu jusqu'à ce que l'agent les apporte."),
    (MessageKind.WRONG_RECIPIENT, "Je ne suis pas le bon interlocuteur",
     "Indiquez si possible à qui s'adresser : l'agent saisira un autre organisme."),
]
OUTCOMES = [
    (Outcome.SOLVED_AT_DESK.value, "Réglée au guichet", None),
    (Outcome.SOLVED_WITH_PARTNER.value, "Réglée avec un partenaire", None),
    (Outcome.NOT_SOLVED.value, "Non réglée", "Par exemple : l'usager ne remplit pas les conditions."),
]
USEFUL = [("oui", "Oui", None), ("non", "Non", None)]
MARKS = [(str(mark), label, None) for mark, label in
         ((1, "1 (pas du tout satisfait)"), (2, "2"), (3, "3"), (4, "4"), (5, "5 (tout à fait satisfait)"))]
SENTIMENTS = [("positive", "Plutôt positif", None), ("negative", "Plutôt négatif", None)]
NOTICES = {
    # the referent's answer
    "answer": "Votre réponse a été ajoutée au dossier. L'agent en est averti.",
    "needs_info": "Votre demande d'informations a été transmise à l'agent.",
    "pris-en-charge": "C'est noté : l'agent voit que vous vous en occupez. Le délai de réponse ne change pas.",
    # the agent's actions
    "cree": "Le dossier est créé.",
    "saisi": "Le dossier est transmis. Le partenaire a 4 jours ouvrés pour répondre.",
    "message": "Votre note est ajoutée au dossier. Seuls les agents du point la voient.",
    "message-partenaire": "Votre message a été envoyé au partenaire.",
    "clos": "Le dossier est clos. L'usager en est averti par SMS s'il l'a accepté.",
    "rouvert": "Le dossier est rouvert.",
    "avis": "L'avis de l'usager est enregistré, sans son nom ni ses coordonnées.",
    "piece": attachment_pages.UPLOADED,
    "courriel-ajoute": "Le message est ajouté aux échanges.",
    "courriel-ecarte": "Le message est écarté.",
}
PAGE_EXPIRED = "La page a expiré. Vérifiez votre saisie puis envoyez de nouveau."
NOTE_RECIPIENT = "Note interne, visible des agents du point seulement"
WRITABLE = ("sent", "needs_info", "answered")


def _sent_to(view, query) -> str | None:
    """« Votre message a été envoyé à CAF de l'Orne. »: the partner named by ?a=<group id>."""
    if query.get("fait") != "message-partenaire":
        return None
    name = next((e.group_name for e in view.escalations if e.group_id == query.get("a")), None)
    return f"Votre message a été envoyé à {name}." if name else None


def _recipients(view) -> tuple[list[tuple[str, str, str | None]], str]:
    """The agent's choices of recipient, and the default: the partner waiting for information
    if there is one (a reply to its request must reach it), else the internal note."""
    partners = [e for e in view.escalations if e.status.value in WRITABLE]
    waiting = [e for e in partners if e.status.value == "needs_info"]
    choices = [("", NOTE_RECIPIENT, "Aucun partenaire ne la reçoit.")] + [
        (e.group_id, f"{e.group_name}",
         "Attend vos informations : son délai est suspendu jusqu'à votre réponse."
         if e.status.value == "needs_info" else "Reçoit votre message par e-mail.")
        for e in partners]
    return choices, waiting[0].group_id if waiting else ""
# Each form's fields, in the page's order: the error summary follows it.
FORM_FIELDS = {
    "reponse": ["kind", "body"],
    "message": ["group_id", "body"],
    "saisine": ["group_ids", "question", *(name for name, _, _ in IDENTIFIER_FIELDS)],
    "cloture": ["outcome", "useful"],
    "avis": ["satisfaction", "sentiment", "comment"],
}


def _signed_in(deps, request):
    signed = current(deps, request)
    if signed is None:
        raise NotAuthenticated("Connectez-vous pour continuer.")
    return signed


def _escalation_options(deps, view) -> list[tuple[str, str, str | None]]:
    """Groups of the territory the case may still be escalated to, suggested ones first."""
    _, groups = directory.territory_entries(deps, view.territory_code)
    active = {e.group_id for e in view.escalations
              if e.status.value in WRITABLE}
    ranked = sorted((g for g in groups if g.id not in active),
                    key=lambda g: (situations.rank(view.situation, g.organisation_id), g.name))
    return [(g.id, g.name, "Souvent saisi pour cette situation"
             if situations.is_suggested(view.situation, g.organisation_id) else None) for g in ranked]


def _forward_options(deps, view, waiting) -> list[tuple[str, str, str | None]]:
    """The other groups of the referent's organisation on the case's territory."""
    organisations = {e.organisation_id for e in waiting}
    if not organisations:
        return []
    _, groups = directory.territory_entries(deps, view.territory_code)
    own = {e.group_id for e in view.escalations}
    return [(g.id, g.name, None) for g in sorted(groups, key=lambda g: g.name)
            if g.organisation_id in organisations and g.id not in own]


def _upload(deps, principal, ref):
    """The presigned form that sends a document straight to S3 (a note of the case)."""
    from ..services import attachments

    try:
        return attachments.upload_form(deps, principal, ref)
    except DomainError:
        return None


def _quarantined(deps, principal, ref):
    """Inbound emails waiting for the agent's decision (services/quarantine.py)."""
    from ..services import quarantine

    try:
        return quarantine.list_quarantined(deps, principal, ref, pending_only=True)
    except DomainError:
        return []


def show(deps, request, ref: str, *, status: int = 200, form: str | None = None,
         fields: dict | None = None, errors: FormErrors | None = None, notice: str | None = None,
         selected_groups: list[str] | None = None):
    try:
        principal, user = _signed_in(deps, request)
    except NotAuthenticated:
        return pages.case_signin(request, ref)
    try:
        view = cases.get_case(deps, principal, ref)
    except (NotFound, NotAllowed):
        return pages.view(request, "case_missing.html", user=user, status=404)
    errors = errors or FormErrors()
    query = request.query_params or {}
    if notice is None and form is None:
        notice = _sent_to(view, query) or NOTICES.get(query.get("fait", "") or query.get("envoye", ""))
        refused = attachment_pages.error_messages().get(query.get("erreur", ""))
        if refused:
            errors.add(None, refused)
            form = "piece"
    context = dict(case=view, form=form, fields=fields or {}, errors=errors.by_field,
                   summary=errors.in_order(FORM_FIELDS.get(form or "", [])), notice=notice,
                   kind_choices=KIND_CHOICES, outcomes=OUTCOMES, selected_groups=selected_groups or [],
                   group_names={e.group_id: e.group_name for e in view.escalations},
                   note_recipient=NOTE_RECIPIENT)
    if principal.role is Role.REFERENT:
        context["can_answer"] = any(e.status.value in WRITABLE
                                    for e in view.escalations)
        waiting = [e for e in view.escalations if e.status.value in ("sent", "needs_info")]
        context["can_acknowledge"] = view.status is not CaseStatus.CLOSED and any(
            e.acknowledged_at is None for e in waiting)
        context["forward_options"] = (_forward_options(deps, view, waiting)
                                      if view.status is not CaseStatus.CLOSED else [])
    else:
        is_open = view.status is not CaseStatus.CLOSED
        thread_choices, default_recipient = _recipients(view)
        context.update(
            thread_choices=thread_choices, default_recipient=default_recipient,
            can_answer=False, can_acknowledge=False, forward_options=[], is_open=is_open,
            useful_choices=USEFUL, mark_choices=MARKS, sentiment_choices=SENTIMENTS,
            identifier_fields=IDENTIFIER_FIELDS,
            group_options=_escalation_options(deps, view) if is_open else [],
            upload=_upload(deps, principal, ref) if is_open else None,
            upload_threads=[("", "Le dossier (les partenaires ne le voient pas)")]
            + [(e.group_id, e.group_name) for e in view.escalations
               if e.status.value in WRITABLE])
        if context["upload"] is not None:
            context["form_targets"] = [context["upload"].origin]
        context["quarantined"] = _quarantined(deps, principal, ref)
    return pages.view(request, "case.html", user=user, status=status, **context)


def _posted(request) -> tuple[dict[str, str], dict[str, list[str]], bool]:
    lists = pages.form_lists(request.raw_body)
    fields = {name: values[0] for name, values in lists.items()}
    return fields, lists, pages.csrf_ok(pages.cookie_csrf(request), fields.get("csrf"))


def _refused(deps, request, ref, form, fields, errors, status=400, selected_groups=None):
    return show(deps, request, ref, status=status, form=form, fields=fields, errors=errors,
                selected_groups=selected_groups)


def _act(deps, request, ref: str, form: str, build, run, notice_code, location=None):
    """The agent's and referent's forms alike: CSRF, validate, call the service, redirect (to
    the case, or where location(command) says: a case that is no longer the reader's)."""
    fields, lists, csrf_ok = _posted(request)
    errors = FormErrors()
    if not csrf_ok:
        errors.add(None, PAGE_EXPIRED)
        return _refused(deps, request, ref, form, fields, errors)
    try:
        principal, _ = _signed_in(deps, request)
    except NotAuthenticated:
        return pages.case_signin(request, ref)
    command = build(fields, lists, errors)
    if errors or command is None:
        return _refused(deps, request, ref, form, fields, errors,
                        selected_groups=lists.get("group_ids"))
    try:
        run(principal, command)
    except (NotFound, NotAllowed):
        return show(deps, request, ref)
    except DomainError as refused:
        errors.add_domain(refused)
        return _refused(deps, request, ref, form, fields, errors,
                        status=409 if isinstance(refused, Conflict) else 400,
                        selected_groups=lists.get("group_ids"))
    code = notice_code(command) if callable(notice_code) else notice_code
    if location is not None and (elsewhere := location(command)):
        return pages.redirect(elsewhere)
    anchor = {"cloture": "contenu", "avis": "avis-telephone"}.get(form, "echanges")
    return pages.redirect(f"/dossiers/{ref}?fait={code}#{anchor}")


def _back_to_queue(notice: str) -> str:
    """The queue, with its notice: the case is no longer the referent's to see."""
    return f"/file?fait={notice}"


@handler
def answer(deps, request, ref: str):
    """The referent's answer (also reached from the email's link)."""
    def build(fields, _, errors):
        return validate(MessageCreate, {"body": fields.get("body", ""), "kind": fields.get("kind", "")},
                        errors)

    def run(principal, command):
        if principal.role is not Role.REFERENT:
            raise NotAllowed("Seul un référent peut répondre ici.")
        cases.post_referent_reply(deps, principal, ref, command)

    return _act(deps, request, ref, "reponse", build, run, lambda command: command.kind.value,
                location=lambda command: _back_to_queue("rendu")
                if command.kind is MessageKind.WRONG_RECIPIENT else None)


def _referent_only(principal) -> None:
    if principal.role is not Role.REFERENT:
        raise NotAllowed("Seul un référent peut faire cela ici.")


@handler
def acknowledge(deps, request, ref: str):
    """« Je m'en occupe »."""
    def build(fields, _, errors):
        return validate(EscalationAcknowledge, {"group_id": text(fields, "group_id")}, errors)

    def run(principal, command):
        _referent_only(principal)
        cases.acknowledge(deps, principal, ref, command.group_id)

    return _act(deps, request, ref, "prise-en-charge", build, run, "pris-en-charge")


@handler
def forward(deps, request, ref: str):
    """Forward to another group of the referent's organisation."""
    def build(fields, _, errors):
        if not text(fields, "to_group_id"):
            errors.add("to_group_id", "Choisissez le groupe à qui transmettre la demande.")
            return None
        return validate(EscalationForward, {"group_id": text(fields, "group_id"),
                                            "to_group_id": text(fields, "to_group_id")}, errors)

    def run(principal, command):
        _referent_only(principal)
        cases.forward(deps, principal, ref, command.group_id, command.to_group_id)

    return _act(deps, request, ref, "transfert", build, run, "transmis",
                location=lambda _: _back_to_queue("transmis"))


@handler
def post_message(deps, request, ref: str):
    def build(fields, _, errors):
        return validate(MessageCreate, {"body": fields.get("body", ""),
                                        "group_id": text(fields, "group_id")}, errors)

    def run(principal, command):
        if principal.role is not Role.AGENT:
            raise NotAllowed("Réservé à l'agent du dossier.")
        cases.post_agent_message(deps, principal, ref, command)

    return _act(deps, request, ref, "message", build, run,
                lambda command: f"message-partenaire&a={quote(command.group_id)}" if command.group_id
                else "message")


@handler
def escalate(deps, request, ref: str):
    def build(fields, lists, errors):
        group_ids = [g for g in lists.get("group_ids", []) if g]
        if not group_ids:
            errors.add("group_ids", "Choisissez au moins un organisme à saisir.")
            return None
        return validate(EscalationCreate, {
            "group_ids": group_ids, "question": fields.get("question", ""),
            "identifiers": {name.split(".")[1]: text(fields, name) for name, _, _ in IDENTIFIER_FIELDS
                            if text(fields, name)}}, errors)

    def run(principal, command):
        cases.escalate(deps, principal, ref, command)

    return _act(deps, request, ref, "saisine", build, run, "saisi")


@handler
def close(deps, request, ref: str):
    def build(fields, _, errors):
        useful = yes_no(fields, "useful")
        if useful is None:
            errors.add("useful", "Indiquez si l'accompagnement a été utile à l'usager.")
        command = validate(CaseClose, {"outcome": fields.get("outcome", ""),
                                       "useful": useful if useful is not None else False}, errors)
        return command if useful is not None else None

    def run(principal, command):
        cases.close_case(deps, principal, ref, command)

    return _act(deps, request, ref, "cloture", build, run, "clos")


@handler
def reopen(deps, request, ref: str):
    def build(*_):
        return True

    def run(principal, _):
        cases.reopen_case(deps, principal, ref)

    return _act(deps, request, ref, "reouverture", build, run, "rouvert")



@handler
def phone_survey(deps, request, ref: str):
    """« Avis recueilli par téléphone »: the mark, positive or negative, and what the usager said."""
    def build(fields, _, errors):
        mark = fields.get("satisfaction", "")
        if mark not in {value for value, _, _ in MARKS}:
            errors.add("satisfaction", "Choisissez la note donnée par l'usager, de 1 à 5.")
        if fields.get("sentiment", "") not in {value for value, _, _ in SENTIMENTS}:
            errors.add("sentiment", "Indiquez si l'avis de l'usager est plutôt positif ou plutôt négatif.")
        if errors:
            return None
        return validate(PhoneSurvey, {"satisfaction": int(mark), "sentiment": fields["sentiment"],
                                      "comment": text(fields, "comment")}, errors)

    def run(principal, command):
        opinions.record_phone_survey(deps, principal, ref, command)

    return _act(deps, request, ref, "avis", build, run, "avis")
