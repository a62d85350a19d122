"""Which partners usually handle each life situation: the new case form offers them first.

The agent may still pick any organisation of the territory; this is a suggestion, in the
order an agent would think of them (the seeds' examples: retirement -> CARSAT, MSA...).
"""
from __future__ import annotations

from .models import LifeSituation

SUGGESTED_ORGANISATIONS: dict[LifeSituation, tuple[str, ...]] = {
    LifeSituation.RETRAITE: ("carsat", "msa", "cpam", "dgfip"),
    LifeSituation.PRECARITE: ("caf", "conseil-departemental", "cpam", "banque-de-france", "msa"),
    LifeSituation.SANTE: ("cpam", "msa", "conseil-departemental"),
    LifeSituation.EMPLOI: ("france-travail", "mission-locale", "caf"),
    LifeSituation.LOGEMENT: ("caf", "anah", "ddt", "commune", "conseil-departemental"),
    LifeSituation.IMPOTS: ("dgfip",),
    LifeSituation.PAPIERS: ("prefecture", "sous-prefecture", "commune", "la-poste"),
    LifeSituation.FAMILLE: ("caf", "cpam", "msa", "dgfip"),
    LifeSituation.AUTRE: (),
}


def rank(situation: LifeSituation | None, organisation_id: str) -> int:
    """Sort key: suggested partners first, in their order; then the others."""
    suggested = SUGGESTED_ORGANISATIONS.get(situation, ()) if situation else ()
    return suggested.index(organisation_id) if organisation_id in suggested else len(suggested) + 1


def is_suggested(situation: LifeSituation | None, organisation_id: str) -> bool:
    if not situation:
        return False
    return organisation_id in SUGGESTED_ORGANISATIONS.get(situation, ())
