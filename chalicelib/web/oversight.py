"""The coordinator's view of their territory: its directory and the late escalations, each
one opened without the usager, and reminded once a day (« Relancer »)."""
from __future__ import annotations

from ..domain.errors import Conflict
from ..domain.models import Role
from ..services import oversight
from . import pages
from .forms import FormErrors
from .session import chosen_territory, handler, require

PAGE_EXPIRED = "La page a expiré. Cliquez de nouveau sur « Relancer »."
NOTICES = {
    "relance": "Le partenaire est relancé : un e-mail de rappel part vers ses référents.",
    "deja-relance": "Ce partenaire a déjà été relancé aujourd'hui : rien n'est renvoyé. "
                    "Vous pourrez le relancer de nouveau demain.",
}


@handler
def territory(deps, request):
    principal, user = require(deps, request, Role.COORDINATOR, Role.ADMIN)
    wanted, codes = chosen_territory(deps, principal, (request.query_params or {}).get("code"))
    overview = oversight.territory_overview(deps, principal, wanted)
    return pages.view(request, "territory.html", user=user, current="/territoire", codes=codes,
                      overview=overview, summary=[])


def _detail_page(deps, request, principal, user, code: str, ref: str, group_id: str, *,
                 status=200, errors=None, notice=None):
    detail = oversight.late_escalation(deps, principal, code, ref, group_id)
    errors = errors or FormErrors()
    return pages.view(request, "late_escalation.html", user=user, current="/territoire",
                      status=status, detail=detail, summary=errors.summary, notice=notice)


@handler
def late_escalation(deps, request, code: str, ref: str, group_id: str):
    principal, user = require(deps, request, Role.COORDINATOR, Role.ADMIN)
    notice = NOTICES.get((request.query_params or {}).get("fait", ""))
    return _detail_page(deps, request, principal, user, code, ref, group_id, notice=notice)


@handler
def nudge(deps, request, code: str, ref: str, group_id: str):
    principal, user = require(deps, request, Role.COORDINATOR, Role.ADMIN)
    fields = pages.form_fields(request.raw_body)
    errors = FormErrors()
    if not pages.csrf_ok(pages.cookie_csrf(request), fields.get("csrf")):
        errors.add(None, PAGE_EXPIRED)
        return _detail_page(deps, request, principal, user, code, ref, group_id, status=400, errors=errors)
    try:
        sent = oversight.nudge(deps, principal, code, ref, group_id)
    except Conflict as refused:
        errors.add_domain(refused)
        return _conflict_page(deps, request, principal, user, code, errors)
    outcome = "relance" if sent else "deja-relance"
    return pages.redirect(f"/territoire/{code.upper()}/retards/{ref}/{group_id}?fait={outcome}")


def _conflict_page(deps, request, principal, user, code: str, errors: FormErrors):
    """No longer late (answered meanwhile): the territory page, saying so."""
    overview = oversight.territory_overview(deps, principal, code)
    _, codes = chosen_territory(deps, principal, code)
    return pages.view(request, "territory.html", user=user, current="/territoire", codes=codes,
                      overview=overview, summary=errors.summary, status=409)
