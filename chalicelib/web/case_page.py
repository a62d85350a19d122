"""The case page behind the link in every email: the referent reads and answers, with the
three choices of an email reply (answer, needs information, not the right recipient).

Server-rendered, no script; the answer form carries a double-submit CSRF token. The web issue
extends it for agents.
"""
from __future__ import annotations

from pydantic import ValidationError

from ..api import http
from ..bootstrap import Deps
from ..domain import authz
from ..domain.commands import MessageCreate
from ..domain.errors import DomainError, InvalidInput, NotAllowed, NotAuthenticated, NotFound
from ..domain.models import MessageKind, Role
from ..services import auth, cases
from . import pages

KIND_CHOICES = [
    (MessageKind.ANSWER, "Je réponds", "Votre réponse est transmise à l'agent, qui recontacte l'usager."),
    (MessageKind.NEEDS_INFO, "Il me manque des informations",
     "Précisez lesquelles : le délai est suspendu jusqu'à ce que l'agent les apporte."),
    (MessageKind.WRONG_RECIPIENT, "Je ne suis pas le bon interlocuteur",
     "Indiquez si possible à qui s'adresser : l'agent saisira un autre organisme."),
]
SENT = {MessageKind.ANSWER: "Votre réponse a été ajoutée au dossier. L'agent en est averti.",
        MessageKind.NEEDS_INFO: "Votre demande d'informations a été transmise à l'agent.",
        MessageKind.WRONG_RECIPIENT: "C'est noté : l'agent va saisir un autre organisme."}


def _signed_in(deps: Deps, request):
    return auth.principal_for(deps, http.cookie(request.headers, http.SESSION_COOKIE))


def show(deps: Deps, request, ref: str, *, status: int = 200, error: str | None = None,
         body: str = "", kind: str = "answer", sent: str | None = None):
    try:
        principal, user = _signed_in(deps, request)
    except NotAuthenticated:
        return pages.page("case_signin.html", 401, ref=ref)
    try:
        view = cases.get_case(deps, principal, ref)
    except (NotFound, NotAllowed):
        return pages.page("case_missing.html", 404)
    token = pages.new_csrf_token()
    can_answer = principal.role is Role.REFERENT and any(
        e.status.value in ("sent", "needs_info", "answered") for e in view.escalations)
    return pages.page("case.html", status, cookies=[pages.csrf_cookie(token, deps.settings.secure_cookies)],
                      case=view, user=user, csrf=token, can_answer=can_answer, choices=KIND_CHOICES,
                      error=error, body=body, kind=kind, sent=sent)


def answer(deps: Deps, request, ref: str):
    fields = pages.form_fields(request.raw_body)
    if not pages.csrf_ok(http.cookie(request.headers, pages.CSRF_COOKIE), fields.get("csrf")):
        return show(deps, request, ref, status=400, error="La page a expiré. Recommencez votre réponse.",
                    body=fields.get("body", ""), kind=fields.get("kind", "answer"))
    try:
        principal, _ = _signed_in(deps, request)
    except NotAuthenticated:
        return pages.page("case_signin.html", 401, ref=ref)
    try:
        authz.require_role(principal, Role.REFERENT)
        command = MessageCreate(body=fields.get("body", ""), kind=fields.get("kind", "answer"))
    except ValidationError as invalid:
        field = str(invalid.errors()[0]["loc"][0]) if invalid.errors() else "body"
        message = ("Choisissez une des trois réponses." if field == "kind"
                   else "Écrivez votre réponse (5 000 caractères au plus).")
        return show(deps, request, ref, status=400, error=message, body=fields.get("body", ""),
                    kind=fields.get("kind", "answer"))
    except NotAllowed:
        return show(deps, request, ref, status=403, error="Seul un référent peut répondre ici.")
    try:
        cases.post_message(deps, principal, ref, command)
    except (NotFound, NotAllowed):
        return pages.page("case_missing.html", 404)
    except DomainError as refused:
        return show(deps, request, ref, status=400 if isinstance(refused, InvalidInput) else 409,
                    error=refused.message, body=command.body,
                    kind=command.kind.value)
    return pages.redirect(f"/dossiers/{ref}?envoye={command.kind.value}")


def sent_message(query: dict | None) -> str | None:
    value = (query or {}).get("envoye")
    return SENT.get(MessageKind(value)) if value in {k.value for k in SENT} else None
