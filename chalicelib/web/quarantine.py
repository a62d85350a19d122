"""A quarantined inbound email, for the case's agent: read it, then add it to the thread or set
it aside (services/quarantine.py). Same rules as the case page: a visitor who is not signed in
gets the case's sign-in page, anybody but the case's agents the "case not found" page; every
form carries the double-submit CSRF token.
"""
from __future__ import annotations

from ..domain.errors import Conflict, DomainError, NotAllowed, NotFound
from ..services import quarantine
from . import pages
from .session import current, handler

PAGE_EXPIRED = "La page a expiré. Réessayez."


def _page(deps, request, ref, quarantine_id, *, status=200, error=None):
    signed = current(deps, request)
    if signed is None:
        return pages.case_signin(request, ref)
    principal, user = signed
    try:
        item = quarantine.read(deps, principal, ref, quarantine_id)
    except (NotFound, NotAllowed):
        return pages.view(request, "case_missing.html", user=user, status=404)
    summary = [{"field": None, "message": error}] if error else []
    return pages.view(request, "quarantine.html", user=user, status=status, item=item,
                      case_ref=quarantine.cases.case_ref(ref), summary=summary)


@handler
def show(deps, request, ref: str, quarantine_id: str):
    return _page(deps, request, ref, quarantine_id)


def _decide(deps, request, ref, quarantine_id, action, notice):
    fields = {name: values[0] for name, values in pages.form_lists(request.raw_body).items()}
    if not pages.csrf_ok(pages.cookie_csrf(request), fields.get("csrf")):
        return _page(deps, request, ref, quarantine_id, status=400, error=PAGE_EXPIRED)
    signed = current(deps, request)
    if signed is None:
        return pages.case_signin(request, ref)
    principal, user = signed
    try:
        view = action(deps, principal, ref, quarantine_id)
    except (NotFound, NotAllowed):
        return pages.view(request, "case_missing.html", user=user, status=404)
    except DomainError as refused:
        return _page(deps, request, ref, quarantine_id, error=refused.message,
                     status=409 if isinstance(refused, Conflict) else 400)
    return pages.redirect(f"/dossiers/{view.ref}?fait={notice}#echanges")


@handler
def release(deps, request, ref: str, quarantine_id: str):
    return _decide(deps, request, ref, quarantine_id, quarantine.release, "courriel-ajoute")


@handler
def discard(deps, request, ref: str, quarantine_id: str):
    return _decide(deps, request, ref, quarantine_id, quarantine.discard, "courriel-ecarte")
