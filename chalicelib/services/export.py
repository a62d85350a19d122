"""Right of access (RGPD article 15): an admin exports everything Relais holds about one
usager, as one JSON document: each case opened with their phone number, its escalations,
messages (documents listed, with their size and type), audit events, and whether the number
said STOP. A usager registered without a phone is found by a case's reference: no phone entry
links their cases, so each case is exported on its own. The export itself is audited (who,
when, how many cases; never the number)."""
from __future__ import annotations

from ..bootstrap import Deps
from ..domain import authz
from ..domain.authz import Principal
from ..domain.errors import NotFound
from ..domain.events import EventCode
from ..domain.models import Role
from ..domain.references import normalize_reference
from .common import audit_access


def usager_export(deps: Deps, principal: Principal, phone_e164: str | None = None,
                  ref: str | None = None) -> dict:
    authz.require_role(principal, Role.ADMIN)
    if ref is not None:
        refs, phone_e164 = _by_reference(deps, ref)
    else:
        refs = deps.repo.cases_of_phone(phone_e164) if phone_e164 else []
    cases = []
    for ref in refs:
        try:
            bundle = deps.repo.get_bundle(ref)
        except NotFound:
            continue
        cases.append({
            "case": bundle.case.model_dump(mode="json"),
            "escalations": [e.model_dump(mode="json", exclude={"reply_token"})
                            for e in bundle.escalations.values()],
            "messages": [m.model_dump(mode="json") for m in bundle.messages],
            "events": [e.model_dump(mode="json") for e in bundle.events],
        })
    audit_access(deps, principal, EventCode.USAGER_EXPORTED, count=str(len(cases)))
    return {"phone": phone_e164,
            "sms_opted_out": deps.repo.is_opted_out(phone_e164) if phone_e164 else False,
            "generated_at": deps.now().isoformat(), "cases": cases}


def _by_reference(deps: Deps, typed: str) -> tuple[list[str], str | None]:
    """A case's usager: every case of their phone if they gave one, else that case alone."""
    ref = normalize_reference(typed)
    if ref is None:
        return [], None
    try:
        case = deps.repo.get_case(ref)
    except NotFound:
        return [], None
    phone = case.usager.phone if case.usager else None
    return (deps.repo.cases_of_phone(phone) if phone else [ref]), phone
