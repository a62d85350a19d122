"""The referent's queue: the escalations to their group, the most urgent first; and the ones
already answered (« Traités »), the latest first."""
from __future__ import annotations

from ..domain.errors import InvalidInput
from ..domain.models import EscalationStatus, Role
from ..services import cases, directory
from ..views import Lateness
from . import pages
from .session import handler, require

QUEUE_LIMIT = 200
ANSWERED_PER_PAGE = 20
TABS = [("a-traiter", "À traiter"), ("traites", "Traités")]
NOTICES = {
    # where a case that is no longer the referent's sends them back
    "rendu": "C'est noté : l'agent va saisir un autre organisme. Ce dossier n'est plus dans votre file.",
    "transmis": "La demande est transmise à l'autre groupe, qui en est averti par e-mail. "
                "Ce dossier n'est plus dans votre file.",
}


def _waiting_sections(deps, principal, group):
    waiting = cases.referent_queue(deps, principal, group.id, EscalationStatus.SENT,
                                   QUEUE_LIMIT, None).items
    info = cases.referent_queue(deps, principal, group.id, EscalationStatus.NEEDS_INFO,
                                QUEUE_LIMIT, None).items
    return [
        ("en-retard", "En retard", "Le délai est dépassé : l'usager attend.",
         [e for e in waiting if e.lateness is Lateness.LATE]),
        ("bientot", "À traiter sous 24 h", "Le délai se termine dans moins d'un jour.",
         [e for e in waiting if e.lateness is Lateness.DUE_SOON]),
        ("nouvelles", "Nouvelles demandes", "À traiter dans les 4 jours ouvrés. « Information reçue » : "
         "l'agent a apporté ce que vous aviez demandé.",
         [e for e in waiting if e.lateness is None]),
        ("informations", "En attente d'informations",
         "Vous avez demandé des informations : le délai est suspendu jusqu'à la réponse de l'agent.",
         info),
    ]


def _answered_sections(deps, principal, group, cursor):
    """The answered escalations, latest due first, a page at a time; and the latest closed
    cases the group had answered."""
    answered = cases.referent_queue(deps, principal, group.id, EscalationStatus.ANSWERED,
                                    ANSWERED_PER_PAGE, cursor, latest_first=True)
    closed = [] if cursor else cases.referent_queue(
        deps, principal, group.id, EscalationStatus.CLOSED, ANSWERED_PER_PAGE, None,
        latest_first=True).items
    return [
        ("repondues", "Répondues", "Vous avez répondu ; l'agent recontacte l'usager puis clôt le dossier.",
         answered.items),
        *([("clos", "Dossiers clos", f"Les {ANSWERED_PER_PAGE} derniers dossiers clos auxquels "
            "vous aviez répondu.", [e for e in closed if e.answered_at is not None])] if not cursor else []),
    ], answered.cursor


@handler
def queue(deps, request):
    principal, user = require(deps, request, Role.REFERENT)
    query = request.query_params or {}
    groups = directory.groups(deps, principal.group_ids)
    wanted = query.get("groupe")
    group = next((g for g in groups if g.id == wanted), groups[0] if groups else None)
    tab = query.get("vue") if query.get("vue") in dict(TABS) else "a-traiter"
    sections, cursor, status = [], None, 200
    if group is not None and tab == "traites":
        try:
            sections, cursor = _answered_sections(deps, principal, group, query.get("suite"))
        except InvalidInput:            # a cursor no page of ours made
            tab, status = "a-traiter", 400
    if group is not None and tab == "a-traiter":
        sections = _waiting_sections(deps, principal, group)
    return pages.view(request, "queue.html", user=user, current="/file", groups=groups, status=status,
                      group=group, sections=sections, tabs=TABS, tab=tab, cursor=cursor,
                      notice=NOTICES.get(query.get("fait", "")))
