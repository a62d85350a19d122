"""The referent's queue: the escalations to their group, the most urgent first."""
from __future__ import annotations

from ..domain.models import EscalationStatus, Role
from ..services import cases, directory
from ..views import Lateness
from . import pages
from .session import handler, require

QUEUE_LIMIT = 200


@handler
def queue(deps, request):
    principal, user = require(deps, request, Role.REFERENT)
    groups = directory.groups(deps, principal.group_ids)
    wanted = (request.query_params or {}).get("groupe")
    group = next((g for g in groups if g.id == wanted), groups[0] if groups else None)
    sections = []
    if group is not None:
        waiting = cases.referent_queue(deps, principal, group.id, EscalationStatus.SENT,
                                       QUEUE_LIMIT, None).items
        info = cases.referent_queue(deps, principal, group.id, EscalationStatus.NEEDS_INFO,
                                    QUEUE_LIMIT, None).items
        sections = [
            ("en-retard", "En retard", "Le délai est dépassé : l'usager attend.",
             [e for e in waiting if e.lateness is Lateness.LATE]),
            ("bientot", "À traiter sous 24 h", "Le délai se termine dans moins d'un jour.",
             [e for e in waiting if e.lateness is Lateness.DUE_SOON]),
            ("nouvelles", "Nouvelles demandes", "À traiter dans les 4 jours ouvrés.",
             [e for e in waiting if e.lateness is None]),
            ("informations", "En attente d'informations",
             "Vous avez demandé des informations : le délai est suspendu jusqu'à la réponse de l'agent.",
             info),
        ]
    return pages.view(request, "queue.html", user=user, current="/file", groups=groups,
                      group=group, sections=sections)
